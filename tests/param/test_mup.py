"""Tests of nnatlas.param.mup: base shapes, the muP tables, save/load and wrapping, coord check."""

from __future__ import annotations

import copy
import io
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nnatlas.core.errors import ConfigError
from nnatlas.param.mup import (
    ABC,
    BaseShape,
    MuReadout,
    abc_parametrization,
    base_shapes_from_state_dict,
    coord_check,
    get_base_shapes,
    lr_sweep,
    mup_attention,
    mup_attention_scale,
    mup_init_std,
    mup_normal_,
    mup_param_groups,
    param_scaling,
    plot_coord_check,
    set_base_shapes,
)
from nnatlas.testing import check_module, check_module_case
from nnatlas.testing.catalog import load_all, module_cases

load_all()  # registers the conformance cases (nnatlas.testing.cases)

LR = 0.01


def mlp(width: int, zero: bool = False) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(8, width),
        nn.ReLU(),
        nn.Linear(width, 2 * width),
        nn.ReLU(),
        nn.Linear(2 * width, width),
        nn.ReLU(),
        MuReadout(width, 3, zero_init=zero),
    )


class Block(nn.Module):
    """A tiny transformer block (attention + MLP), LayerNorm and an embedding."""

    def __init__(self, d: int, heads: int = 2, vocab: int = 11) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.norm = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.heads = heads
        self.conv = nn.Conv1d(d, d, 3, padding=1)
        self.out = MuReadout(d, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h = self.norm(self.embed(tokens))
        b, s, d = h.shape
        q, k, v = self.qkv(h).view(b, s, 3, self.heads, d // self.heads).unbind(2)
        a = mup_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), base_head_dim=8)
        h = h + self.proj(a.transpose(1, 2).reshape(b, s, d))
        h = h + self.conv(h.transpose(1, 2)).transpose(1, 2)
        return self.out(h)


def shaped(build, width: int, base: int = 16, delta: int = 32) -> nn.Module:
    torch.manual_seed(0)
    model = build(width)
    with torch.device("meta"):
        set_base_shapes(model, build(base), build(delta))
    return model


# -- abc table --------------------------------------------------------------------------------


def test_abc_table_named_points_and_symmetry() -> None:
    assert abc_parametrization("sp", "input") == ABC(0, 0, 0)
    assert abc_parametrization("sp", "hidden") == ABC(0, 0.5, 0)
    assert abc_parametrization("ntp", "hidden") == ABC(0.5, 0, 0)
    assert abc_parametrization("mup", "input") == ABC(-0.5, 0.5, 0)
    assert abc_parametrization("mup", "hidden") == ABC(0, 0.5, 0)
    assert abc_parametrization("mup", "output") == ABC(0.5, 0.5, 0)
    # The mup package's SGD form of the input layer: no multiplier, O(1) init, lr x n.
    assert abc_parametrization("mup", "input", theta=0.5) == ABC(0, 0, -1)
    mult, std, lr = abc_parametrization("mup", "output").scales(256)
    assert (mult, std, lr) == (1 / 16, 1 / 16, 1.0)
    # The symmetry keeps the effective init std n^-(a+b) and the effective SGD step n^-(2a+c).
    for theta in (-0.5, 0.25, 1.0):
        p = abc_parametrization("mup", "hidden", theta=theta)
        assert p.a + p.b == 0.5 and 2 * p.a + p.c == 0


def test_abc_errors() -> None:
    with pytest.raises(ConfigError, match="name must be one of"):
        abc_parametrization("xp", "input")
    with pytest.raises(ConfigError, match="layer must be"):
        abc_parametrization("mup", "middle")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="theta"):
        abc_parametrization("mup", "input", theta=math.nan)


# -- base shapes ------------------------------------------------------------------------------


def test_base_and_delta_inference_mlp() -> None:
    shapes = get_base_shapes(shaped(mlp, 64))
    assert shapes["0.weight"].base == (16, None)  # input layer: fan-in finite
    assert shapes["0.bias"].base == (16,)
    assert shapes["2.weight"].base == (32, 16)  # non-square hidden layer
    assert shapes["4.weight"].base == (16, 32)
    assert shapes["6.weight"].base == (None, 16)  # readout: fan-out finite
    assert shapes["6.bias"].base == (None,)
    assert shapes["2.weight"].width_mult == 4.0
    assert shapes["2.weight"].fanin_fanout_ratio == 1.0


def test_base_and_delta_inference_transformer_and_conv() -> None:
    shapes = get_base_shapes(shaped(Block, 64))
    assert shapes["embed.weight"].base == (None, 16)
    assert shapes["norm.weight"].base == (16,)
    assert shapes["qkv.weight"].base == (48, 16)
    assert shapes["conv.weight"].base == (16, 16, None)
    assert shapes["out.weight"].base == (None, 16)


def cnn(width: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(3, width, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(width, width, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        MuReadout(width, 5),
    )


def test_cnn_shapes_and_lrs() -> None:
    model = shaped(cnn, 64)
    shapes = get_base_shapes(model)
    assert shapes["0.weight"].base == (16, None, None, None)
    assert shapes["2.weight"].base == (16, 16, None, None)
    adam = lrs_by_name(mup_param_groups(model, LR))
    assert adam["2.weight"] == (LR / 4, 0.0)
    assert adam["0.weight"] == (LR, 0.0)
    sgd = lrs_by_name(mup_param_groups(model, LR, optimizer="sgd"))
    assert sgd["0.weight"] == (LR * 4, 0.0) and sgd["2.weight"] == (LR, 0.0)
    assert model(torch.randn(2, 3, 6, 6)).shape == (2, 5)


def test_without_delta_dims_differing_from_model_are_width() -> None:
    model = mlp(64)
    set_base_shapes(model, mlp(16))
    assert get_base_shapes(model)["2.weight"].base == (32, 16)
    same = mlp(16)
    set_base_shapes(same, mlp(16))  # the base itself: nothing is a width dimension
    assert all(s.ninf == 0 for s in get_base_shapes(same).values())


def test_explicit_base_mapping() -> None:
    layer = MuReadout(40, 2)
    set_base_shapes(layer, {"weight": (None, 10), "bias": (None,)})
    assert layer.width_mult() == 4.0


def test_bad_explicit_base_and_name_collisions() -> None:
    with pytest.raises(ConfigError, match="positive ints"):
        set_base_shapes(MuReadout(4, 2), {"weight": (None, 0), "bias": (None,)})
    clash = nn.Module()
    clash.a = nn.Linear(2, 2)
    clash.b = nn.Module()
    clash.b.module = nn.Module()
    clash.b.module.a = nn.Linear(2, 2)
    clash.b.a = nn.Linear(2, 2)
    with pytest.raises(ConfigError, match="rename one of the submodules"):
        set_base_shapes(clash, clash)


def test_mismatched_architectures_raise() -> None:
    with pytest.raises(ConfigError, match="different parameters"):
        set_base_shapes(mlp(64), nn.Sequential(nn.Linear(8, 16), MuReadout(16, 3)))
    deeper = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 32), nn.ReLU(),
                           nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 3), nn.Linear(3, 3))  # fmt: skip
    with pytest.raises(ConfigError, match=r"only in delta: \['7.bias'"):
        set_base_shapes(mlp(64), mlp(16), deeper)
    conv_base = nn.Sequential(nn.Conv2d(8, 16, 3))
    with pytest.raises(ConfigError, match="has 2 dims in base but 4 in model"):
        set_base_shapes(conv_base, nn.Sequential(nn.Linear(8, 16)))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="has 4 dims in base but 2 in model"):
        set_base_shapes(nn.Sequential(nn.Linear(8, 16)), conv_base)
    with pytest.raises(TypeError, match=r"base must be an nn\.Module or a mapping"):
        set_base_shapes(mlp(64), 16)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"model must be an nn\.Module"):
        set_base_shapes("model", mlp(16))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="delta must be None"):
        set_base_shapes(MuReadout(4, 2), {"weight": (None, 2), "bias": (None,)}, MuReadout(4, 2))


def test_missing_base_shapes_and_plain_linear_readout() -> None:
    with pytest.raises(ConfigError, match="call set_base_shapes"):
        mup_param_groups(mlp(16), LR)
    plain = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 3))
    with pytest.warns(UserWarning, match="not a MuReadout"):
        set_base_shapes(plain, nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3)))


# -- init and learning-rate tables ------------------------------------------------------------


def test_init_rescaling_matches_the_mup_table() -> None:
    torch.manual_seed(0)
    sp = mlp(256)
    mu = copy.deepcopy(sp)
    set_base_shapes(mu, mlp(16), mlp(32))
    m = 16.0
    # Input and hidden weights keep PyTorch's fan-in init (already muP: variance 1/fan_in).
    for i in (0, 2, 4):
        torch.testing.assert_close(mu[i].weight, sp[i].weight, rtol=0, atol=0)
    # Biases of Linear layers: x sqrt(fan-in mult), i.e. the base width's init (width-free).
    torch.testing.assert_close(mu[0].bias, sp[0].bias, rtol=0, atol=0)  # fan-in 8 is finite
    torch.testing.assert_close(mu[2].bias, sp[2].bias * math.sqrt(m))
    torch.testing.assert_close(mu[4].bias, sp[4].bias * math.sqrt(2 * m) / math.sqrt(2))
    # Readout: weight and bias x sqrt(m), and the forward pass divides the input by m.
    torch.testing.assert_close(mu[6].weight, sp[6].weight * 4.0)
    torch.testing.assert_close(mu[6].bias, sp[6].bias * 4.0)
    x = torch.randn(5, 256)
    torch.testing.assert_close(mu[6](x), F.linear(x / m, sp[6].weight * 4.0, sp[6].bias * 4.0))
    # Effective readout variance: U(+-1/sqrt(n)) x sqrt(m) / m -> 1 / (3 n m) = base / (3 n^2).
    torch.manual_seed(1)
    wide = MuReadout(4096, 64)
    set_base_shapes(wide, {"weight": (None, 64), "bias": (None,)})
    effective_var = float((wide.weight.detach() / wide.width_mult()).var())
    assert effective_var == pytest.approx(64 / (3 * 4096**2), rel=0.03)
    # Idempotent: a second call with the same base changes nothing.
    before = [p.clone() for p in mu.parameters()]
    set_base_shapes(mu, mlp(16), mlp(32))
    for a, b in zip(before, mu.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_custom_normal_init_follows_the_table() -> None:
    assert mup_init_std(BaseShape((256, 256), (16, 16)), 0.02) == 0.02 / 4
    assert mup_init_std(BaseShape((256, 8), (16, None)), 0.02) == 0.02
    assert mup_init_std(BaseShape((3, 256), (None, 16)), 0.02) == 0.02
    with pytest.raises(ConfigError, match="std must be"):
        mup_init_std(BaseShape((2,), (None,)), -1.0)
    model = shaped(mlp, 1024)
    bias = model[2].bias.detach().clone()
    mup_normal_(model, 0.5, generator=torch.Generator().manual_seed(0))
    assert float(model[2].weight.detach().std()) == pytest.approx(0.5 / 8, rel=0.01)
    assert float(model[4].weight.detach().std()) == pytest.approx(0.5 / 8, rel=0.01)
    assert float(model[0].weight.detach().std()) == pytest.approx(0.5, rel=0.02)
    assert float(model[6].weight.detach().std()) == pytest.approx(0.5, rel=0.05)
    torch.testing.assert_close(model[2].bias, bias, rtol=0, atol=0)


def test_readout_reset_parameters_keeps_the_rescale() -> None:
    layer = MuReadout(256, 4)
    set_base_shapes(layer, {"weight": (None, 16), "bias": (None,)})
    layer.reset_parameters()
    assert float(layer.weight.detach().abs().max()) <= 4.0 / math.sqrt(256) + 1e-6
    assert float(layer.weight.detach().abs().max()) > 3.0 / math.sqrt(256)


def lrs_by_name(groups: list[dict]) -> dict[str, tuple[float, float]]:
    return {n: (g["lr"], g["weight_decay"]) for g in groups for n in g["mup_names"]}


def test_adam_and_sgd_lr_tables_exact() -> None:
    model = shaped(mlp, 256)  # width mult 16 (base 16)
    adam = lrs_by_name(mup_param_groups(model, LR, optimizer="adam", weight_decay=0.1))
    assert adam["0.weight"] == (LR, 0.1)  # input weights
    assert adam["2.weight"] == (LR / 16, 0.1 * 16)  # hidden, fan-in mult 16
    assert adam["4.weight"] == (LR / 16, 0.1 * 16)  # hidden, fan-in mult 16 (2w -> w)
    assert adam["6.weight"] == (LR, 0.1)  # readout (its 1/m multiplier does the scaling)
    assert adam["2.bias"] == (LR, 0.1)
    assert adam["6.bias"] == (LR, 0.1)
    sgd = lrs_by_name(mup_param_groups(model, LR, optimizer=torch.optim.SGD, weight_decay=0.1))
    assert sgd["0.weight"] == (LR * 16, 0.1 / 16)
    assert sgd["0.bias"] == (LR * 16, 0.1 / 16)
    assert sgd["2.weight"] == (LR, 0.1)  # fan-in mult / fan-out mult = 16 / 16
    assert sgd["6.weight"] == (LR * 16, 0.1 / 16)
    assert sgd["6.bias"] == (LR, 0.1)  # no width dimension
    # A hidden layer whose fan-out grows twice as fast as its fan-in.
    s = BaseShape((512, 256), (16, 16))
    assert param_scaling(s, "sgd").lr_mult == 2.0
    assert param_scaling(s, "adam").lr_mult == 1 / 16
    sp = mup_param_groups(model, LR, parametrization="sp")
    assert len(sp) == 1 and sp[0]["lr"] == LR and len(sp[0]["params"]) == 8


def test_param_scaling_errors() -> None:
    with pytest.raises(ConfigError, match="at most 2"):
        param_scaling(BaseShape((4, 4, 4), (2, 2, 2)))
    with pytest.raises(ConfigError, match="neither Adam-like"):
        param_scaling(BaseShape((4,), (2,)), torch.optim.LBFGS)
    with pytest.raises(ConfigError, match="optimizer must be"):
        param_scaling(BaseShape((4,), (2,)), "lion")
    model = shaped(mlp, 64)
    with pytest.raises(ConfigError, match="lr must be a positive"):
        mup_param_groups(model, -1.0)
    with pytest.raises(ConfigError, match="parametrization"):
        mup_param_groups(model, LR, parametrization="ntp")  # type: ignore[arg-type]


def test_groups_drive_stock_adam_and_sgd() -> None:
    x, y = torch.randn(32, 8), torch.randint(0, 3, (32,))
    for cls in (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD):
        model = shaped(mlp, 128)
        opt = cls(
            mup_param_groups(model, 0.01 if cls is not torch.optim.SGD else 0.5, optimizer=cls)
        )
        before = {n: p.detach().clone() for n, p in model.named_parameters()}
        losses = []
        for _ in range(20):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            if not losses and cls is torch.optim.SGD:
                grads = {n: p.grad.clone() for n, p in model.named_parameters()}
            losses.append(loss.item())
            opt.step()
            if len(losses) == 1:
                step1 = {n: p.detach() - before[n] for n, p in model.named_parameters()}
        assert losses[-1] < 0.9 * losses[0], cls
        if cls is torch.optim.Adam:
            # Adam's first step moves every entry by lr (sign of its gradient): lr/8 on hidden
            # weights (fan-in mult 128/16 = 8), lr elsewhere.
            assert float(step1["2.weight"].abs().max()) == pytest.approx(0.01 / 8, rel=1e-4)
            assert float(step1["0.weight"].abs().max()) == pytest.approx(0.01, rel=1e-4)
        if cls is torch.optim.SGD:
            torch.testing.assert_close(step1["0.weight"], -0.5 * 8 * grads["0.weight"])
            torch.testing.assert_close(step1["2.weight"], -0.5 * grads["2.weight"])


# -- save/load and wrappers -------------------------------------------------------------------


def test_base_shapes_survive_save_load_and_deepcopy() -> None:
    model = shaped(mlp, 64)
    x = torch.randn(4, 8)
    expected = lrs_by_name(mup_param_groups(model, LR))
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    buf.seek(0)
    state = torch.load(buf, weights_only=True)
    # A fresh model: restore the shapes from the checkpoint, then load the weights.
    fresh = mlp(64)
    set_base_shapes(fresh, base_shapes_from_state_dict(state), rescale=False)
    fresh.load_state_dict(state)
    torch.testing.assert_close(fresh(x), model(x), rtol=0, atol=0)
    assert lrs_by_name(mup_param_groups(fresh, LR)) == expected
    # Or: set base shapes the usual way first, then load (buffers overwrite themselves).
    other = mlp(64)
    with torch.device("meta"):
        set_base_shapes(other, mlp(16), mlp(32))
    other.load_state_dict(state)
    torch.testing.assert_close(other(x), model(x), rtol=0, atol=0)
    # Whole-model pickling and deepcopy.
    buf = io.BytesIO()
    torch.save(model, buf)
    buf.seek(0)
    whole = torch.load(buf, weights_only=False)
    for clone in (whole, copy.deepcopy(model)):
        assert lrs_by_name(mup_param_groups(clone, LR)) == expected
        torch.testing.assert_close(clone(x), model(x), rtol=0, atol=0)
    with pytest.raises(ConfigError, match="no muP base shapes"):
        base_shapes_from_state_dict(mlp(16).state_dict())


class Wrapper(nn.Module):
    """What DDP/FSDP-style wrappers do to names: everything under ``module.``."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x)


class FsdpLike(nn.Module):
    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self._fsdp_wrapped_module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fsdp_wrapped_module(x)


def test_base_shapes_survive_wrapping() -> None:
    model = shaped(mlp, 64)
    expected = lrs_by_name(mup_param_groups(model, LR))
    for wrapped in (Wrapper(model), nn.DataParallel(model), Wrapper(Wrapper(model))):
        assert lrs_by_name(mup_param_groups(wrapped, LR)) == expected
        state = wrapped.state_dict()
        assert set(base_shapes_from_state_dict(state)) == set(get_base_shapes(model))
    # Base shapes can also be set through a wrapper, from unwrapped base and delta.
    torch.manual_seed(0)
    inner = mlp(64)
    wrapped = Wrapper(inner)
    set_base_shapes(wrapped, mlp(16), mlp(32))
    assert lrs_by_name(mup_param_groups(inner, LR)) == expected
    # torch.compile's ``_orig_mod.`` and FSDP's per-submodule ``_fsdp_wrapped_module.`` prefixes.
    torch.manual_seed(0)
    inner = mlp(64)
    compiled_like = nn.Module()
    compiled_like._orig_mod = inner
    inner[2] = FsdpLike(inner[2])
    set_base_shapes(compiled_like, mlp(16), mlp(32))
    assert lrs_by_name(mup_param_groups(compiled_like, LR)) == expected
    # And a wrapped checkpoint restores an unwrapped model.
    fresh = mlp(64)
    set_base_shapes(fresh, base_shapes_from_state_dict(wrapped.state_dict()), rescale=False)
    assert lrs_by_name(mup_param_groups(fresh, LR)) == expected


# -- readout conformance, attention -------------------------------------------------------------


def test_readout_conformance() -> None:
    cases = [c for c in module_cases() if c.name.startswith("MuReadout")]
    assert {c.name for c in cases} == {"MuReadout", "MuReadout-plain"}
    for case in cases:
        check_module_case(case)
    check_module(
        lambda dtype: shaped(lambda w: nn.Sequential(nn.Linear(8, w), MuReadout(w, 2)), 64).to(
            dtype
        ),
        lambda dtype: (torch.randn(3, 8, dtype=dtype),),
        name="mup-mlp",
    )
    assert "width_mult=4" in repr(shaped(mlp, 64)[6])
    with pytest.raises(ConfigError, match="output_mult"):
        MuReadout(4, 2, output_mult=math.inf)


def test_attention_scale() -> None:
    assert mup_attention_scale(64) == 1 / 8
    assert mup_attention_scale(128) == 8 / 128
    assert mup_attention_scale(32, base_head_dim=32) == pytest.approx(1 / math.sqrt(32))
    q, k, v = torch.randn(2, 5, 16), torch.randn(2, 7, 16), torch.randn(2, 7, 4)
    expected = torch.softmax(q @ k.transpose(1, 2) * (8 / 16), dim=-1) @ v
    torch.testing.assert_close(mup_attention(q, k, v), expected)
    with pytest.raises(ValueError, match="must share d"):
        mup_attention(q, torch.randn(2, 7, 8), v)
    with pytest.raises(TypeError, match="head_dim"):
        mup_attention_scale(8.0)  # type: ignore[arg-type]
    out = shaped(Block, 64)(torch.randint(0, 11, (2, 5)))
    assert out.shape == (2, 5, 11)


# -- coordinate check and LR sweep --------------------------------------------------------------


def digits_like(n: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return torch.randn(n, 8, generator=gen), torch.randint(0, 3, (n,), generator=gen)


def test_coord_check_flat_under_mup_grows_under_sp() -> None:
    x, y = digits_like()
    widths = (32, 128, 512)
    mu = coord_check(mlp, widths, x, y, lr=0.02, steps=3, parametrization="mup")
    sp = coord_check(mlp, widths, x, y, lr=0.02, steps=3, parametrization="sp")
    assert mu.modules == sp.modules and mu.modules[-1] == "output"
    for m in mu.modules:
        assert 0.5 <= mu.growth(m) <= 2.0, (m, mu.l1(m, 3))
    # SP's logits grow roughly in proportion to width (16x here).
    assert sp.growth("output") > 4.0, sp.l1("output", 3)
    # Both start from the same weights at the base width: identical at t = 0, width 32.
    assert mu.l1("0", 0)[0] == sp.l1("0", 0)[0]
    d = mu.to_dict()
    assert d["widths"] == list(widths) and len(d["l1"]["output"]["3"]) == 3
    with pytest.raises(ConfigError, match="strictly increasing"):
        coord_check(mlp, (64, 32), x, y)
    with pytest.raises(ConfigError, match="delta_width must differ"):
        coord_check(mlp, (32, 64), x, y, delta_width=32)
    with pytest.raises(ConfigError, match="module must be one of"):
        mu.l1("nope", 0)


def test_plot_coord_check(tmp_path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    x, y = digits_like(16)
    result = coord_check(mlp, (16, 32), x, y, steps=1)
    fig = plot_coord_check(result, tmp_path / "coord.png", title="muP")
    assert (tmp_path / "coord.png").stat().st_size > 0
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_lr_sweep_table_and_divergence() -> None:
    x, y = digits_like(64)
    lrs = (1e-3, 1e-2, 1e6)
    sweep = lr_sweep(mlp, (16, 32), lrs, x, y, steps=5, batch_size=16, optimizer="sgd")
    assert len(sweep.losses) == 2 and len(sweep.losses[0]) == 3
    assert all(row[-1] == math.inf for row in sweep.losses)  # lr 1e6 diverges
    assert sweep.best_lr(16) in lrs[:2]
    again = lr_sweep(mlp, (16, 32), lrs, x, y, steps=5, batch_size=16, optimizer="sgd")
    assert again == sweep
    assert sweep.shift_octaves(16, 32) == math.log2(sweep.best_lr(32) / sweep.best_lr(16))
    with pytest.raises(ConfigError, match="lrs must be"):
        lr_sweep(mlp, (16,), (0.1, 0.01), x, y)
    with pytest.raises(ConfigError, match="batch_size"):
        lr_sweep(mlp, (16,), (0.1,), x, y, batch_size=1000)
