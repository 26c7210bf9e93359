"""Symbolic expressions of ODE right-hand sides: trees, prefix tokens, skeletons, corruptions.

The symbol side of PROSE ("PROSE: Predicting Operators and Symbolic Expressions using
Multimodal Transformers", Liu, Zhang, Schaeffer; arXiv 2309.16816) and of the multimodal PDE
foundation model (Negrini et al., arXiv 2502.06026): an equation system ``du/dt = f(u, t)`` is a
tuple of expression trees (one per component), written in prefix (Polish) notation with the
components separated by ``"|"``:

* operators (arity): ``add sub mul div`` (2), ``neg inv sin cos exp pow2 pow3`` (1);
* variables ``u_0 … u_{k-1}`` and the time ``t``;
* integers ``0 … 10`` (structural constants, e.g. the ``2`` of ``t / 2``);
* floats as three tokens, sign (``+``/``-``), mantissa (``N100`` … ``N999``, or ``N0`` for
  zero) and exponent (``E-10`` … ``E10``): ``-0.0123 → - N123 E-4`` (3 significant digits);
* the placeholder ``C`` for an unknown coefficient (a *skeleton*);
* in family templates only, parameter references ``p0 … p9`` (:func:`instantiate` turns them
  into floats).

:func:`skeleton` replaces every float (and parameter) by ``C``; :func:`drop_term` /
:func:`add_term` / :func:`corrupt` remove or add one top-level term of one component (PROSE's
training-time text noise); :func:`evaluate` computes the right-hand side on a trajectory in
torch; :func:`to_sympy` / :func:`sympy_equal` compare expressions (sympy is imported lazily);
:class:`SymbolVocabulary` maps tokens to ids for a model.

It lives in ``nnatlas.data`` (not ``operators``) because it is a data representation used by
the ODE generators (:mod:`nnatlas.data.ode` stores each family's expression with it) as well as
by the models, as the text tokenisers of :mod:`nnatlas.data.text` are.

Deviations from PROSE: ``exp`` and ``pow3`` are enabled (the 1-D families and Duffing use them;
PROSE's code enables add, sub, mul, div, neg, inv, sin, cos, pow2); mantissas have 3 significant
digits (PROSE: 1 leading + 2 digits, the same); a dropped term of a one-term component is not
allowed (the component would vanish).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_real

__all__ = [
    "OPERATORS",
    "Expr",
    "SymbolVocabulary",
    "SymbolicError",
    "System",
    "add_term",
    "corrupt",
    "decode_float",
    "drop_term",
    "encode_float",
    "evaluate",
    "from_terms",
    "instantiate",
    "is_valid",
    "num_terms",
    "parse_prefix",
    "skeleton",
    "sympy_equal",
    "terms",
    "to_prefix",
    "to_sympy",
]

#: operator name -> arity
OPERATORS: dict[str, int] = {
    "add": 2, "sub": 2, "mul": 2, "div": 2,
    "neg": 1, "inv": 1, "sin": 1, "cos": 1, "exp": 1, "pow2": 1, "pow3": 1,
}  # fmt: skip
SEPARATOR = "|"
PLACEHOLDER = "C"
MAX_INT = 10
EXPONENT_RANGE = 10
PRECISION = 3
_VAR = re.compile(r"^u_(\d)$")
_PARAM = re.compile(r"^p(\d)$")
_MANTISSA = re.compile(r"^N(0|[1-9]\d{2})$")
_EXPONENT = re.compile(r"^E(-?\d{1,2})$")


class SymbolicError(ConfigError):
    """A malformed prefix expression, an unknown token, or an expression that cannot be used."""


@dataclass(frozen=True, repr=False)
class Expr:
    """A node of an expression tree.

    Attributes:
        op: an operator of :data:`OPERATORS`, or ``"var"`` (``name`` is ``u_i`` or ``t``),
            ``"int"`` / ``"float"`` (``value``), ``"coef"`` (the placeholder ``C``) or
            ``"param"`` (``value`` is the parameter's index).
        args: the operands (empty for leaves).
        value: the number of an ``int``/``float`` leaf or a parameter index.
        name: the variable's name.
    """

    op: str
    args: tuple[Expr, ...] = ()
    value: float = 0.0
    name: str = ""

    def __str__(self) -> str:
        return " ".join(_prefix(self))

    def __repr__(self) -> str:
        return f"Expr({str(self)!r})"


System = tuple[Expr, ...]
"""One expression per component of ``du/dt``."""


# -- floats ---------------------------------------------------------------------------------


def encode_float(x: float) -> list[str]:
    """The three tokens of ``x`` rounded to 3 significant digits (sign, mantissa, exponent).

    Raises:
        SymbolicError: ``x`` is not finite, or its exponent leaves ``[-10, 10]``.
    """
    x = check_real("x", x)
    if x == 0.0:
        return ["+", "N0", "E0"]
    sign = "-" if x < 0 else "+"
    exponent = math.floor(math.log10(abs(x))) - (PRECISION - 1)
    mantissa = round(abs(x) / 10.0**exponent)
    if mantissa >= 10**PRECISION:  # 999.6 rounds up to 1000
        mantissa //= 10
        exponent += 1
    if abs(exponent) > EXPONENT_RANGE:
        raise SymbolicError(f"x={x!r} is outside the float tokens' exponent range ±10")
    return [sign, f"N{mantissa}", f"E{exponent}"]


def decode_float(tokens: Sequence[str]) -> float:
    """The value of three float tokens (see :func:`encode_float`)."""
    if len(tokens) != 3 or tokens[0] not in ("+", "-"):
        raise SymbolicError(f"tokens must be sign, mantissa, exponent; got {list(tokens)}")
    m, e = _MANTISSA.match(tokens[1]), _EXPONENT.match(tokens[2])
    if m is None or e is None or abs(int(e.group(1))) > EXPONENT_RANGE:
        raise SymbolicError(f"tokens: bad float mantissa/exponent {list(tokens[1:])}")
    value = int(m.group(1)) * 10.0 ** int(e.group(1))
    return -value if tokens[0] == "-" else value


# -- prefix <-> trees -------------------------------------------------------------------------


def _prefix(e: Expr) -> list[str]:
    if e.op in OPERATORS:
        out = [e.op]
        for a in e.args:
            out += _prefix(a)
        return out
    if e.op == "var":
        return [e.name]
    if e.op == "int":
        return [str(int(e.value))]
    if e.op == "float":
        return encode_float(e.value)
    if e.op == "coef":
        return [PLACEHOLDER]
    if e.op == "param":
        return [f"p{int(e.value)}"]
    raise SymbolicError(f"expr: unknown node op {e.op!r}")


def to_prefix(system: System | Expr) -> list[str]:
    """Prefix tokens of an expression or a system (components joined by ``"|"``)."""
    if isinstance(system, Expr):
        return _prefix(system)
    if not isinstance(system, tuple) or not system:
        raise SymbolicError(f"system must be a non-empty tuple of Expr; got {system!r}"[:120])
    out: list[str] = []
    for i, e in enumerate(system):
        if not isinstance(e, Expr):
            raise SymbolicError(f"system[{i}] must be an Expr; got {type(e).__name__}")
        out += ([SEPARATOR] if i else []) + _prefix(e)
    return out


def parse_prefix(
    tokens: Sequence[str] | str, *, max_dim: int | None = None, allow_params: bool = False
) -> System:
    """Parse prefix tokens (a list, or one space-separated string) into a system.

    Args:
        tokens: the tokens.
        max_dim: if given, refuse variables ``u_i`` with ``i >= max_dim``.
        allow_params: accept parameter references ``p0 … p9`` (family templates).

    Raises:
        SymbolicError: an unknown token, a missing operand, trailing tokens, an empty
            component, or a variable beyond ``max_dim``; the message gives the position.
    """
    if isinstance(tokens, str):
        tokens = tokens.split()
    if not isinstance(tokens, Sequence) or not all(isinstance(t, str) for t in tokens):
        raise TypeError(f"tokens must be a sequence of str or a str; got {type(tokens).__name__}")
    toks = list(tokens)
    components: list[Expr] = []
    pos = 0
    while True:
        expr, pos = _parse_one(toks, pos, max_dim, allow_params)
        components.append(expr)
        if pos == len(toks):
            return tuple(components)
        if toks[pos] != SEPARATOR:
            raise SymbolicError(
                f"tokens: trailing token {toks[pos]!r} at position {pos} after a complete "
                "expression (expected '|' or the end)"
            )
        pos += 1


def _parse_one(toks: list[str], pos: int, max_dim: int | None, params: bool) -> tuple[Expr, int]:
    if pos >= len(toks):
        raise SymbolicError(f"tokens: expression ends early (missing operand at position {pos})")
    tok = toks[pos]
    if tok in OPERATORS:
        args = []
        pos += 1
        for _ in range(OPERATORS[tok]):
            arg, pos = _parse_one(toks, pos, max_dim, params)
            args.append(arg)
        return Expr(tok, tuple(args)), pos
    if tok in ("+", "-"):
        return Expr("float", value=decode_float(toks[pos : pos + 3])), pos + 3
    if tok == "t":
        return Expr("var", name="t"), pos + 1
    if (m := _VAR.match(tok)) is not None:
        if max_dim is not None and int(m.group(1)) >= max_dim:
            raise SymbolicError(f"tokens: variable {tok} at position {pos} beyond dim {max_dim}")
        return Expr("var", name=tok), pos + 1
    if tok.isdigit() and int(tok) <= MAX_INT and str(int(tok)) == tok:
        return Expr("int", value=float(tok)), pos + 1
    if tok == PLACEHOLDER:
        return Expr("coef"), pos + 1
    if params and (m := _PARAM.match(tok)) is not None:
        return Expr("param", value=float(m.group(1))), pos + 1
    raise SymbolicError(f"tokens: unknown token {tok!r} at position {pos}")


def is_valid(tokens: Sequence[str] | str, *, dim: int | None = None) -> bool:
    """Whether ``tokens`` parse into a system (of exactly ``dim`` components if given)."""
    try:
        system = parse_prefix(tokens, max_dim=dim)
    except (SymbolicError, TypeError):
        return False
    return dim is None or len(system) == dim


# -- skeletons, parameters, terms -------------------------------------------------------------


def _map_leaves(e: Expr, fn: Any) -> Expr:
    if e.args:
        return Expr(e.op, tuple(_map_leaves(a, fn) for a in e.args), e.value, e.name)
    return fn(e)


def skeleton(system: System) -> System:
    """Replace every float and parameter by the placeholder ``C`` (integers stay)."""
    return tuple(
        _map_leaves(e, lambda x: Expr("coef") if x.op in ("float", "param") else x)
        for e in _check_system(system)
    )


def instantiate(system: System, params: Sequence[float] | Tensor) -> System:
    """Replace parameter references ``p_k`` by the floats ``params[k]``."""
    values = [float(v) for v in (params.tolist() if isinstance(params, Tensor) else params)]

    def sub(x: Expr) -> Expr:
        if x.op != "param":
            return x
        k = int(x.value)
        if k >= len(values):
            raise SymbolicError(f"params has {len(values)} entries; the expression uses p{k}")
        return Expr("float", value=values[k])

    return tuple(_map_leaves(e, sub) for e in _check_system(system))


def terms(expr: Expr) -> list[tuple[int, Expr]]:
    """The signed top-level terms of ``expr``: ``a - (b + c)`` → ``[(+1, a), (-1, b), (-1, c)]``."""
    if not isinstance(expr, Expr):
        raise SymbolicError(f"expr must be an Expr; got {type(expr).__name__}")
    if expr.op == "add":
        return terms(expr.args[0]) + terms(expr.args[1])
    if expr.op == "sub":
        return terms(expr.args[0]) + [(-s, x) for s, x in terms(expr.args[1])]
    if expr.op == "neg":
        return [(-s, x) for s, x in terms(expr.args[0])]
    return [(1, expr)]


def from_terms(signed: Sequence[tuple[int, Expr]]) -> Expr:
    """Rebuild a sum ``±t_1 ± t_2 …`` (left to right) from signed terms."""
    if not signed:
        raise SymbolicError("signed must hold at least one term")
    sign, first = signed[0]
    out = first if sign > 0 else Expr("neg", (first,))
    for s, x in signed[1:]:
        out = Expr("add" if s > 0 else "sub", (out, x))
    return out


def num_terms(system: System) -> list[int]:
    """Number of top-level terms of each component."""
    return [len(terms(e)) for e in _check_system(system)]


def drop_term(system: System, component: int, index: int) -> System:
    """Remove top-level term ``index`` of ``component`` (which must keep at least one term)."""
    system = _check_system(system)
    check_int("component", component, low=0, high=len(system) - 1)
    parts = terms(system[component])
    if len(parts) < 2:
        raise SymbolicError(f"component {component} has a single term; dropping it is refused")
    check_int("index", index, low=0, high=len(parts) - 1)
    new = from_terms(parts[:index] + parts[index + 1 :])
    return (*system[:component], new, *system[component + 1 :])


def add_term(system: System, component: int, term: Expr, sign: int = 1) -> System:
    """Append ``sign * term`` to ``component``."""
    system = _check_system(system)
    check_int("component", component, low=0, high=len(system) - 1)
    if not isinstance(term, Expr):
        raise SymbolicError(f"term must be an Expr; got {type(term).__name__}")
    if sign not in (1, -1):
        raise SymbolicError(f"sign must be +1 or -1; got {sign!r}")
    new = from_terms([*terms(system[component]), (sign, term)])
    return (*system[:component], new, *system[component + 1 :])


def _random_monomial(dim: int, coefficient: Expr, gen: torch.Generator) -> Expr:
    # degree 1 or 2 in the state variables, as PROSE's added polynomial terms
    degree = 1 + int(torch.randint(2, (1,), generator=gen))
    idx = torch.randint(dim, (degree,), generator=gen).tolist()
    mono = Expr("var", name=f"u_{idx[0]}")
    if degree == 2:
        other = Expr("var", name=f"u_{idx[1]}")
        mono = Expr("pow2", (mono,)) if idx[0] == idx[1] else Expr("mul", (mono, other))
    return Expr("mul", (coefficient, mono))


def corrupt(
    system: System, kind: str, generator: torch.Generator, *, coefficient: float | None = None
) -> System:
    """Change exactly one top-level term of one component at random.

    Args:
        system: the system.
        kind: ``"drop"`` (remove a term of a component that has ≥ 2), ``"add"`` (append a
            random degree-1 or 2 monomial in the state variables, times ``C`` or a float) or
            ``"either"`` (drop or add with probability 1/2; add where nothing can be dropped).
        generator: the random source.
        coefficient: the added term's coefficient; ``None`` uses the placeholder ``C``.

    Raises:
        SymbolicError: ``kind="drop"`` and every component has a single term.
    """
    system = _check_system(system)
    if kind not in ("drop", "add", "either"):
        raise SymbolicError(f"kind must be 'drop', 'add' or 'either'; got {kind!r}")
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator; got {type(generator).__name__}")
    droppable = [i for i, n in enumerate(num_terms(system)) if n >= 2]
    if kind == "either":
        coin = int(torch.randint(2, (1,), generator=generator))
        kind = "drop" if coin and droppable else "add"
    if kind == "drop":
        if not droppable:
            raise SymbolicError("kind='drop' but every component has a single term")
        comp = droppable[int(torch.randint(len(droppable), (1,), generator=generator))]
        index = int(torch.randint(len(terms(system[comp])), (1,), generator=generator))
        return drop_term(system, comp, index)
    comp = int(torch.randint(len(system), (1,), generator=generator))
    coef = Expr("coef") if coefficient is None else Expr("float", value=float(coefficient))
    return add_term(system, comp, _random_monomial(len(system), coef, generator))


def _check_system(system: Any) -> System:
    if not isinstance(system, tuple) or not system or not all(isinstance(e, Expr) for e in system):
        raise SymbolicError(f"system must be a non-empty tuple of Expr; got {system!r}"[:160])
    return system


# -- evaluation -------------------------------------------------------------------------------

_UNARY: dict[str, Callable[[Tensor], Tensor]] = {
    "neg": torch.neg, "inv": torch.reciprocal, "sin": torch.sin, "cos": torch.cos,
    "exp": torch.exp, "pow2": torch.square, "pow3": lambda x: x * x * x,
}  # fmt: skip
_BINARY: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "add": torch.add,
    "sub": torch.sub,
    "mul": torch.mul,
    "div": torch.div,
}


def evaluate(
    system: System, u: Tensor, t: Tensor | float | None = None, params: Tensor | None = None
) -> Tensor:
    """Evaluate the right-hand side on states ``u`` (and times ``t``).

    Args:
        system: ``k`` component expressions (no placeholder ``C``).
        u: ``(..., d)`` states; ``u_i`` reads ``u[..., i]``.
        t: times broadcastable to ``u[..., 0]`` (needed if the system uses ``t``).
        params: ``(..., P)`` parameter values for ``p_j`` references, broadcastable like ``t``.

    Returns:
        ``(..., k)`` tensor of ``u``'s dtype.

    Raises:
        SymbolicError: a placeholder, a variable beyond ``d``, or ``t``/``params`` missing.
    """
    system = _check_system(system)
    if not isinstance(u, Tensor) or not u.is_floating_point() or u.ndim < 1:
        got = f"{u.dtype} of shape {tuple(u.shape)}" if isinstance(u, Tensor) else type(u)
        raise TypeError(f"u must be a floating tensor of shape (..., d); got {got}")
    tt = None if t is None else torch.as_tensor(t, dtype=u.dtype, device=u.device)
    if params is not None and (not isinstance(params, Tensor) or params.ndim < 1):
        raise TypeError("params must be a tensor of shape (..., P) or None")

    def ev(e: Expr) -> Tensor:
        if e.op in _BINARY:
            return _BINARY[e.op](ev(e.args[0]), ev(e.args[1]))
        if e.op in _UNARY:
            return _UNARY[e.op](ev(e.args[0]))
        if e.op == "var":
            if e.name == "t":
                if tt is None:
                    raise SymbolicError("t is needed: the expression uses the time t")
                return tt
            i = int(e.name[2:])
            if i >= u.shape[-1]:
                raise SymbolicError(f"u has {u.shape[-1]} components; the expression uses {e.name}")
            return u[..., i]
        if e.op in ("int", "float"):
            return torch.tensor(e.value, dtype=u.dtype, device=u.device)
        if e.op == "param":
            if params is None or int(e.value) >= params.shape[-1]:
                raise SymbolicError(f"params must provide p{int(e.value)}")
            return params[..., int(e.value)].to(u.dtype)
        raise SymbolicError("cannot evaluate a skeleton: replace the placeholders C first")

    shape = u.shape[:-1]
    return torch.stack([ev(e).expand(shape) for e in system], dim=-1)


# -- sympy ------------------------------------------------------------------------------------


def to_sympy(system: System) -> list[Any]:
    """The components as sympy expressions (symbols ``u_i``, ``t``, ``C``, ``p_k``)."""
    import sympy as sp  # a dependency of torch itself; imported lazily (it is slow to import)

    def conv(e: Expr) -> Any:
        a = [conv(x) for x in e.args]
        table = {
            "add": lambda: a[0] + a[1], "sub": lambda: a[0] - a[1], "mul": lambda: a[0] * a[1],
            "div": lambda: a[0] / a[1], "neg": lambda: -a[0], "inv": lambda: 1 / a[0],
            "sin": lambda: sp.sin(a[0]), "cos": lambda: sp.cos(a[0]), "exp": lambda: sp.exp(a[0]),
            "pow2": lambda: a[0] ** 2, "pow3": lambda: a[0] ** 3,
        }  # fmt: skip
        if e.op in table:
            return table[e.op]()
        if e.op == "var":
            return sp.Symbol(e.name)
        if e.op == "int":
            return sp.Integer(int(e.value))
        if e.op == "float":
            return sp.Float(e.value)
        if e.op == "coef":
            return sp.Symbol(PLACEHOLDER)
        return sp.Symbol(f"p{int(e.value)}")

    return [conv(e) for e in _check_system(system)]


def sympy_equal(a: System, b: System, *, tol: float = 1e-9) -> bool:
    """Whether two systems are mathematically equal (float coefficients within ``tol``)."""
    import sympy as sp  # a dependency of torch itself; imported lazily (it is slow to import)

    check_real("tol", tol, low=0.0)
    ea, eb = to_sympy(a), to_sympy(b)
    if len(ea) != len(eb):
        return False
    for x, y in zip(ea, eb, strict=True):
        diff = sp.expand(sp.simplify(x - y))
        diff = diff.replace(lambda z: z.is_Float and abs(z) <= tol, lambda z: sp.Integer(0))
        if sp.simplify(diff) != 0:
            return False
    return True


# -- vocabulary -------------------------------------------------------------------------------


class SymbolVocabulary:
    """Token ↔ id map for prefix expressions of systems with up to ``max_dim`` components.

    Ids: ``0`` padding, ``1`` begin, ``2`` end, then separator, operators, ``t``, variables,
    integers, the placeholder, float signs, mantissas and exponents.

    Args:
        max_dim: the largest number of state variables (1 to 10).
    """

    PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"

    def __init__(self, max_dim: int = 3) -> None:
        check_int("max_dim", max_dim, low=1, high=10)
        self.max_dim = max_dim
        toks = [self.PAD, self.BOS, self.EOS, SEPARATOR, *OPERATORS, "t"]
        toks += [f"u_{i}" for i in range(max_dim)]
        toks += [str(i) for i in range(MAX_INT + 1)] + [PLACEHOLDER, "+", "-", "N0"]
        toks += [f"N{m}" for m in range(10 ** (PRECISION - 1), 10**PRECISION)]
        toks += [f"E{e}" for e in range(-EXPONENT_RANGE, EXPONENT_RANGE + 1)]
        self.tokens: tuple[str, ...] = tuple(toks)
        self.index: Mapping[str, int] = {t: i for i, t in enumerate(toks)}
        self.pad_id, self.bos_id, self.eos_id = 0, 1, 2

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, tokens: Sequence[str], *, length: int | None = None) -> Tensor:
        """``[BOS] + ids + [EOS]``, right-padded with ``PAD`` to ``length`` if given.

        Raises:
            SymbolicError: an unknown token, or the sequence is longer than ``length``.
        """
        ids = [self.bos_id]
        for i, tok in enumerate(tokens):
            if tok not in self.index:
                raise SymbolicError(f"tokens: unknown token {tok!r} at position {i}")
            ids.append(self.index[tok])
        ids.append(self.eos_id)
        if length is not None:
            check_int("length", length, low=2)
            if len(ids) > length:
                raise SymbolicError(f"tokens need length {len(ids)} > length={length}")
            ids += [self.pad_id] * (length - len(ids))
        return torch.tensor(ids, dtype=torch.long)

    def encode_batch(self, sequences: Sequence[Sequence[str]], length: int) -> Tensor:
        """``(batch, length)`` ids of several token sequences (see :meth:`encode`)."""
        if not sequences:
            raise SymbolicError("sequences must hold at least one token sequence")
        return torch.stack([self.encode(s, length=length) for s in sequences])

    def decode(self, ids: Sequence[int] | Tensor) -> list[str]:
        """Tokens of ``ids``, dropping a leading ``BOS`` and stopping at ``EOS``/``PAD``."""
        values = ids.tolist() if isinstance(ids, Tensor) else list(ids)
        out = []
        for i, v in enumerate(values):
            if not isinstance(v, int) or not 0 <= v < len(self.tokens):
                raise SymbolicError(f"ids: {v!r} at position {i} is not a token id")
            if v == self.bos_id and i == 0:
                continue
            if v in (self.eos_id, self.pad_id):
                break
            out.append(self.tokens[v])
        return out
