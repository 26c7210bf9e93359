"""Expression trees, prefix tokens, skeletons and corruptions of ``nnatlas.data.symbolic``."""

from __future__ import annotations

import math

import pytest
import torch

from nnatlas.data.ode import ODE_FAMILIES
from nnatlas.data.symbolic import (
    Expr,
    SymbolicError,
    SymbolVocabulary,
    add_term,
    corrupt,
    decode_float,
    drop_term,
    encode_float,
    evaluate,
    from_terms,
    instantiate,
    is_valid,
    num_terms,
    parse_prefix,
    skeleton,
    sympy_equal,
    terms,
    to_prefix,
    to_sympy,
)
from nnatlas.testing.bad_inputs import assert_clear_error

LV = "sub mul + N150 E-2 u_0 mul + N250 E-2 mul u_0 u_1 | sub mul - N300 E-3 u_1 neg u_0"


def test_float_tokens_round_to_three_significant_digits() -> None:
    assert encode_float(-0.0123) == ["-", "N123", "E-4"]
    assert encode_float(999.7) == ["+", "N100", "E1"]  # rounds up into the next decade
    assert encode_float(0.0) == ["+", "N0", "E0"]
    for x in (3.14159, -2.71828e-5, 6.02e9, 1.0, 0.999):
        # relative rounding error of 3 significant digits is at most 5e-3 (half a unit of 100)
        assert abs(decode_float(encode_float(x)) - x) <= 5e-3 * abs(x)


@pytest.mark.parametrize("name", sorted(ODE_FAMILIES))
def test_prefix_round_trip_is_sympy_equal(name: str) -> None:
    system = ODE_FAMILIES[name].expression()
    back = parse_prefix(to_prefix(system))
    assert to_prefix(back) == to_prefix(system)
    # the tokens keep 3 digits: equal to the family within the rounding of its coefficients
    assert sympy_equal(
        back, system, tol=5e-3 * max(abs(v) for v in (1.0, *ODE_FAMILIES[name].nominal))
    )


def test_sympy_equality_sees_algebra_not_spelling() -> None:
    a = parse_prefix("mul u_0 add u_1 2")
    b = parse_prefix("add mul 2 u_0 mul u_1 u_0")
    c = parse_prefix("add mul 3 u_0 mul u_1 u_0")
    assert sympy_equal(a, b) and not sympy_equal(a, c)
    assert str(to_sympy(parse_prefix(LV))[1]) == "u_0 - 0.3*u_1"


def test_skeleton_replaces_floats_and_keeps_structure() -> None:
    system = parse_prefix(LV + " | div t 2")
    skel = skeleton(system)
    tokens = to_prefix(skel)
    assert tokens.count("C") == 3 and "+" not in tokens and "N150" not in tokens
    assert "2" in tokens  # integers are structural, not coefficients
    assert num_terms(skel) == num_terms(system) == [2, 2, 1]


def test_terms_flatten_signs() -> None:
    e = parse_prefix("sub u_0 add u_1 neg t")[0]
    signed = [(s, str(x)) for s, x in terms(e)]
    assert signed == [(1, "u_0"), (-1, "u_1"), (1, "t")]
    u = torch.randn(5, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    tt = torch.rand(5, dtype=torch.float64)
    assert torch.allclose(evaluate((from_terms(terms(e)),), u, tt), evaluate((e,), u, tt))


def test_every_corruption_changes_exactly_one_term() -> None:
    gen = torch.Generator().manual_seed(0)
    for fam in ODE_FAMILIES.values():
        system = skeleton(fam.expression())
        before = num_terms(system)
        for kind in ("add", "drop", "either"):
            if kind == "drop" and max(before) < 2:
                with pytest.raises(SymbolicError, match="single term"):
                    corrupt(system, kind, gen)
                continue
            after = num_terms(corrupt(system, kind, gen))
            diff = [a - b for a, b in zip(after, before, strict=True)]
            # one component changed by exactly one term; all others untouched
            assert sorted(diff, key=abs)[:-1] == [0] * (len(diff) - 1), (fam.name, kind)
            assert abs(sum(diff)) == 1, (fam.name, kind, diff)
            if kind != "either":
                assert sum(diff) == (1 if kind == "add" else -1)


def test_drop_and_add_term_are_inverse_on_the_last_term() -> None:
    system = parse_prefix(LV)
    extra = parse_prefix("mul C pow2 u_1")[0]
    grown = add_term(system, 1, extra, sign=-1)
    assert to_prefix(grown).count("C") == 1 and num_terms(grown) == [2, 3]
    assert sympy_equal(drop_term(grown, 1, 2), system)


def test_evaluate_matches_closed_form_on_a_trajectory() -> None:
    system = parse_prefix(LV)
    u = torch.randn(4, 7, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    out = evaluate(system, u)
    x, y = u[..., 0], u[..., 1]
    want = torch.stack([1.5 * x - 2.5 * x * y, -0.3 * y + x], dim=-1)  # (-0.3 y) - (-x)
    assert out.shape == (4, 7, 2)
    assert torch.allclose(out, want, atol=1e-13, rtol=0)
    p = instantiate(parse_prefix("mul p0 sin mul p1 t", allow_params=True), [2.0, 3.0])
    t = torch.tensor([0.1, 0.2])
    assert torch.allclose(evaluate(p, torch.zeros(2, 1), t)[:, 0], 2 * torch.sin(3 * t))


def test_vocabulary_round_trip_and_padding() -> None:
    vocab = SymbolVocabulary(max_dim=2)
    tokens = to_prefix(parse_prefix(LV))
    ids = vocab.encode(tokens, length=40)
    assert ids[0] == vocab.bos_id and ids.shape == (40,) and int((ids == vocab.pad_id).sum()) > 0
    assert vocab.decode(ids) == tokens
    assert len(set(vocab.tokens)) == len(vocab)
    batch = vocab.encode_batch([tokens, ["u_0"]], 40)
    assert batch.shape == (2, 40) and vocab.decode(batch[1]) == ["u_0"]


def test_validity_check() -> None:
    assert is_valid(LV, dim=2)
    assert not is_valid(LV, dim=3)  # two components, three wanted
    assert not is_valid("add u_0")  # missing operand
    assert not is_valid("u_0 u_1")  # trailing token
    assert not is_valid("mul C u_2", dim=2)  # variable beyond dim


@pytest.mark.parametrize(
    ("tokens", "pattern"),
    [
        ("add u_0", "ends early"),
        ("u_0 u_1", "trailing token 'u_1' at position 1"),
        ("mul u_0 foo", "unknown token 'foo' at position 2"),
        ("mul + N12 E0 u_0", "mantissa"),
        ("mul + N120 E11 u_0", "mantissa/exponent"),
        ("p0", "unknown token 'p0'"),
        ("11", "unknown token '11'"),
        ("u_0 |", "ends early"),
        ("", "ends early"),
    ],
)
def test_malformed_prefix_is_refused_clearly(tokens: str, pattern: str) -> None:
    with pytest.raises(SymbolicError, match=pattern):
        parse_prefix(tokens)


def test_bad_arguments_are_named() -> None:
    system = parse_prefix(LV)
    gen = torch.Generator().manual_seed(0)
    assert_clear_error(encode_float, math.nan, argument="x")
    assert_clear_error(encode_float, 1e15, argument="x")
    assert_clear_error(decode_float, ["*", "N100", "E0"], argument="tokens")
    assert_clear_error(parse_prefix, 3, argument="tokens")
    assert_clear_error(to_prefix, (), argument="system")
    assert_clear_error(skeleton, [Expr("coef")], argument="system")
    assert_clear_error(drop_term, system, 2, 0, argument="component")
    assert_clear_error(drop_term, system, 0, 5, argument="index")
    assert_clear_error(drop_term, parse_prefix("u_0"), 0, 0, argument="component")
    assert_clear_error(add_term, system, 0, "u_0", argument="term")
    assert_clear_error(add_term, system, 0, Expr("coef"), sign=2, argument="sign")
    assert_clear_error(corrupt, system, "swap", gen, argument="kind")
    assert_clear_error(corrupt, system, "add", 0, argument="generator")
    assert_clear_error(evaluate, skeleton(system), torch.zeros(3, 2), argument="C")
    assert_clear_error(evaluate, system, torch.zeros(3, 1), argument="u_1")
    assert_clear_error(evaluate, parse_prefix("t"), torch.zeros(3, 1), argument="t")
    assert_clear_error(evaluate, system, [[0.0, 0.0]], argument="u")
    assert_clear_error(instantiate, parse_prefix("p1", allow_params=True), [1.0], argument="params")
    assert_clear_error(from_terms, [], argument="signed")
    assert_clear_error(sympy_equal, system, system, tol=-1.0, argument="tol")
    vocab = SymbolVocabulary(2)
    assert_clear_error(SymbolVocabulary, 0, argument="max_dim")
    assert_clear_error(vocab.encode, ["u_2"], argument="tokens")
    assert_clear_error(vocab.encode, ["u_0"] * 5, length=4, argument="length")
    assert_clear_error(vocab.decode, [1, 99999], argument="ids")
    assert_clear_error(vocab.encode_batch, [], 4, argument="sequences")
