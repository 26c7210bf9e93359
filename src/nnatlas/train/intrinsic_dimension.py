"""Searching for the intrinsic dimension of an objective landscape.

Paper: Chunyuan Li, Heerad Farkhoor, Rosanne Liu, Jason Yosinski, "Measuring the Intrinsic
Dimension of Objective Landscapes", ICLR 2018, arXiv:1804.08838.

Method. Train the model in random subspaces of growing dimension d
(:class:`nnatlas.train.subspace.SubspaceModel`) and record its performance; the intrinsic
dimension d_int90 is the smallest d whose performance reaches 90% of the directly trained
model's (d_int100, the smallest d matching it, is noisier). :func:`intrinsic_dimension`
runs that search for any ``evaluate(d) -> score`` (higher is better): over a grid, as in the
paper, or by doubling then bisecting in log space, which needs O(log) evaluations.
:func:`subspace_training_score` is a ready-made ``evaluate`` for classification.

Deviations from the paper: the paper sweeps a grid by hand and reads the crossing off a
plot; here the crossing is also interpolated log-linearly between the bracketing
evaluations (``d_int_interp``). Bisection assumes the score is monotone in d; with the
noise of one random subspace per d it may return a d that a repeat would not confirm, so
average several seeds inside ``evaluate`` for a stable answer.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_positive
from nnatlas.train.loop import accuracy, fit
from nnatlas.train.subspace import Projection, SubspaceModel

_log = logging.getLogger(__name__)

__all__ = [
    "IntrinsicDimensionResult",
    "direct_training_score",
    "intrinsic_dimension",
    "subspace_training_score",
]


@dataclass(frozen=True)
class IntrinsicDimensionResult:
    """Outcome of an intrinsic-dimension search.

    Attributes:
        threshold: ``fraction * baseline``, the score a d must reach.
        baseline: the reference score (e.g. direct-training accuracy).
        fraction: the fraction of the baseline required (0.9 for d_int90).
        d_int: smallest evaluated d whose score ≥ threshold, or ``None`` if none did.
        d_int_interp: log-linear interpolation of the crossing between the largest failing
            d below ``d_int`` and ``d_int``; ``None`` if the crossing is not bracketed.
        curve: every evaluated ``(d, score)``, sorted by d.
        found: whether some evaluated d reached the threshold.
    """

    threshold: float
    baseline: float
    fraction: float
    d_int: int | None
    d_int_interp: float | None
    curve: tuple[tuple[int, float], ...]
    found: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``curve`` as a list of ``[d, score]`` pairs)."""
        out = asdict(self)
        out["curve"] = [[d, s] for d, s in self.curve]
        return out


def _interpolate(lo: tuple[int, float], hi: tuple[int, float], threshold: float) -> float | None:
    """d where the segment from ``lo`` to ``hi`` (score against log d) crosses ``threshold``."""
    (d_lo, s_lo), (d_hi, s_hi) = lo, hi
    if not (math.isfinite(s_lo) and math.isfinite(s_hi)) or s_hi <= s_lo:
        return float(d_hi)
    t = min(max((threshold - s_lo) / (s_hi - s_lo), 0.0), 1.0)
    return math.exp(math.log(d_lo) + t * (math.log(d_hi) - math.log(d_lo)))


def _grid(dims: Sequence[int] | None, d_min: int, d_max: int | None) -> list[int]:
    """The dimensions a grid search evaluates: ``dims`` sorted, or d_min doubling to d_max."""
    if dims is None:
        if d_max is None:
            raise ConfigError("search='grid' needs dims or d_max; got neither")
        grid = []
        d = d_min
        while d < d_max:
            grid.append(d)
            d *= 2
        grid.append(d_max)
        return grid
    if isinstance(dims, str | bytes) or len(dims) == 0:
        raise ConfigError(f"dims must be a non-empty sequence of ints >= 1; got {dims!r}")
    for d in dims:
        check_int("every entry of dims", d)
    return sorted(set(dims))


def _bisect(
    passes: Callable[[int], bool], cache: dict[int, float], d_min: int, d_max: int, rel_tol: float
) -> None:
    """Double from d_min until a d passes (capped at d_max), then bisect in log space.

    The bracket is (largest failing d below the first pass, first pass); it shrinks until
    hi / lo <= 1 + rel_tol or hi - lo <= 1. Scores land in ``cache`` through ``passes``.
    """
    d = d_min
    while not passes(d) and d < d_max:
        d = min(2 * d, d_max)
    if not passes(d):
        return
    failing = [e for e in cache if e < d and not passes(e)]
    if not failing:
        return
    lo, hi = max(failing), d
    while hi / lo > 1 + rel_tol and hi - lo > 1:
        mid = round(math.sqrt(lo * hi))
        mid = min(max(mid, lo + 1), hi - 1)
        if passes(mid):
            hi = mid
        else:
            lo = mid


def intrinsic_dimension(
    evaluate: Callable[[int], float],
    *,
    baseline: float,
    fraction: float = 0.9,
    dims: Sequence[int] | None = None,
    search: str = "grid",
    d_min: int = 1,
    d_max: int | None = None,
    rel_tol: float = 0.1,
) -> IntrinsicDimensionResult:
    """Find the smallest subspace dimension whose score reaches ``fraction * baseline``.

    Scores are "higher is better" (accuracy, normalised return); a NaN score counts as a
    failure. No d is evaluated twice within a call.

    Args:
        evaluate: ``evaluate(d) -> score`` for a subspace of dimension d.
        baseline: the reference score, > 0 (e.g. direct-training accuracy).
        fraction: required fraction of the baseline, > 0 (0.9 for d_int90, 1.0 for d_int100).
        dims: for ``search="grid"``, the dimensions to evaluate (all of them, sorted). If
            ``None``, the doubling grid d_min, 2 d_min, ... up to and including ``d_max``.
        search: ``"grid"`` (paper style: evaluate every d, report the smallest passing one;
            with noisy scores a larger d may fail again) or ``"bisect"`` (evaluate d_min,
            2 d_min, 4 d_min, ... until one passes, capped at ``d_max``, then bisect in log
            space between the last failure and the first pass until hi / lo ≤ 1 + rel_tol
            or hi - lo ≤ 1; assumes a monotone score).
        d_min: smallest d to try.
        d_max: largest d to try (required for ``dims=None`` on a grid; unbounded doubling is
            refused, so it is required for bisection too).
        rel_tol: bisection stops when the bracket's ratio is ≤ 1 + rel_tol.

    Returns:
        The :class:`IntrinsicDimensionResult`.
    """
    if not callable(evaluate):
        raise TypeError(f"evaluate must be callable; got {type(evaluate).__name__}")
    for name, value in (("baseline", baseline), ("fraction", fraction)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{name} must be a number; got {type(value).__name__} {value!r}")
    baseline = float(baseline)
    fraction = float(fraction)
    if not math.isfinite(baseline) or baseline <= 0:
        raise ConfigError(f"baseline must be a finite score > 0; got {baseline}")
    if not math.isfinite(fraction) or fraction <= 0:
        raise ConfigError(f"fraction must be a finite number > 0; got {fraction}")
    if search not in ("grid", "bisect"):
        raise ConfigError(f"search must be 'grid' or 'bisect'; got {search!r}")
    check_int("d_min", d_min)
    if d_max is not None:
        check_int("d_max", d_max)
        if d_max < d_min:
            raise ConfigError(f"d_max must be >= d_min={d_min}; got {d_max}")
    if not (isinstance(rel_tol, int | float) and math.isfinite(rel_tol) and rel_tol > 0):
        raise ConfigError(f"rel_tol must be a finite number > 0; got {rel_tol!r}")
    threshold = fraction * baseline

    cache: dict[int, float] = {}

    def score(d: int) -> float:
        if d not in cache:
            value = float(evaluate(d))
            cache[d] = value
            _log.info(
                "intrinsic dimension search: d=%d score=%.6g (threshold %.6g)", d, value, threshold
            )
        return cache[d]

    def passes(d: int) -> bool:
        return score(d) >= threshold  # False for NaN

    if search == "grid":
        for d in _grid(dims, d_min, d_max):
            score(d)
    else:
        if dims is not None:
            raise ConfigError("dims is only used by search='grid'; got dims with 'bisect'")
        if d_max is None:
            raise ConfigError("search='bisect' needs d_max to bound the doubling; got None")
        _bisect(passes, cache, d_min, d_max, rel_tol)

    curve = tuple(sorted(cache.items()))
    passing = [d for d, s in curve if s >= threshold]
    d_int = passing[0] if passing else None
    d_int_interp: float | None = None
    if d_int is not None:
        below = [(d, s) for d, s in curve if d < d_int]
        if below:
            d_int_interp = _interpolate(below[-1], (d_int, cache[d_int]), threshold)
    return IntrinsicDimensionResult(
        threshold=threshold,
        baseline=baseline,
        fraction=fraction,
        d_int=d_int,
        d_int_interp=d_int_interp,
        curve=curve,
        found=d_int is not None,
    )


# --------------------------------------------------------------------------------------
# A ready-made evaluate for classification
# --------------------------------------------------------------------------------------


def _seeds(seed: int) -> tuple[int, int, int]:
    """Independent seeds for (θ₀, P, minibatch order) derived from one run seed."""
    gen = torch.Generator().manual_seed(int(seed))
    a, b, c = torch.randint(0, 2**62, (3,), generator=gen).tolist()
    return int(a), int(b), int(c)


def _tensors(
    data: Any, device: torch.device | str | None, dtype: torch.dtype
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    missing = [k for k in ("x_train", "y_train", "x_test", "y_test") if not hasattr(data, k)]
    if missing:
        raise TypeError(
            "data must have attributes x_train, y_train, x_test, y_test; "
            f"{type(data).__name__} lacks {', '.join(missing)}"
        )
    xs = [
        torch.as_tensor(getattr(data, k)).to(device=device, dtype=dtype)
        for k in ("x_train", "x_test")
    ]
    ys = [
        torch.as_tensor(getattr(data, k)).to(device=device, dtype=torch.long)
        for k in ("y_train", "y_test")
    ]
    return xs[0], ys[0], xs[1], ys[1]


def _check_training(optimizer: Any, lr: Any, epochs: Any) -> None:
    """Fail before building anything: the optimizer's name, its learning rate, the epochs."""
    if optimizer not in ("adam", "sgd"):
        raise ConfigError(f"optimizer must be 'adam' or 'sgd'; got {optimizer!r}")
    check_positive("lr", lr)
    check_int("epochs", epochs, low=0)


def _optimizer(name: str, params: Any, lr: float) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    raise ConfigError(f"optimizer must be 'adam' or 'sgd'; got {name!r}")


def _build(build_model: Callable[[], nn.Module], seed: int) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model()
    if not isinstance(model, nn.Module):
        raise TypeError(f"build_model must return an nn.Module; got {type(model).__name__}")
    return model


def subspace_training_score(
    build_model: Callable[[], nn.Module],
    d: int,
    *,
    data: Any,
    epochs: int,
    lr: float,
    projection: str | Callable[[int, int, int], Projection] = "dense",
    batch_size: int = 128,
    seed: int = 0,
    optimizer: str = "adam",
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> float:
    """Test accuracy of a classifier trained in a random d-dimensional subspace.

    Builds the model under a seed derived from ``seed`` (the global RNG is restored
    afterwards), wraps it in :class:`SubspaceModel`, trains z with cross-entropy and
    returns the test accuracy. Use ``functools.partial`` to fix everything but ``d`` and
    pass it to :func:`intrinsic_dimension`.

    Args:
        build_model: ``build_model() -> nn.Module`` mapping ``(B, ...)`` to ``(B, classes)``.
        d: subspace dimension.
        data: any object with ``x_train, y_train, x_test, y_test`` (tensors or arrays).
        epochs: training epochs.
        lr: learning rate on z (about 100x the usual one with unit-norm columns; with Adam
            0.03 to 0.1 worked on digits for d in 20..320, roughly 0.5 / √d).
        projection: a kind (``"dense"``, ``"sparse"``, ``"fastfood"``) or a factory
            ``(full_dim, subspace_dim, seed) -> Projection``.
        batch_size: minibatch size.
        seed: run seed; θ₀, P and the minibatch order use independent seeds derived from it.
        optimizer: ``"adam"`` or ``"sgd"`` (momentum 0.9).
        device: where to train.
        dtype: floating dtype of model and data.

    Returns:
        Test accuracy in [0, 1].
    """
    check_int("d", d)
    _check_training(optimizer, lr, epochs)
    init_seed, proj_seed, order_seed = _seeds(seed)
    x_tr, y_tr, x_te, y_te = _tensors(data, device, dtype)
    module = _build(build_model, init_seed).to(device=device, dtype=dtype)
    if isinstance(projection, str):
        model = SubspaceModel(module, d, projection=projection, seed=proj_seed)
    else:
        full_dim = sum(p.numel() for p in module.parameters() if p.requires_grad)
        model = SubspaceModel(module, d, projection=projection(full_dim, d, proj_seed))
    opt = _optimizer(optimizer, model.parameters(), lr)
    gen = torch.Generator().manual_seed(order_seed)
    fit(model, x_tr, y_tr, optimizer=opt, epochs=epochs, batch_size=batch_size, generator=gen)
    return accuracy(model, x_te, y_te)


def direct_training_score(
    build_model: Callable[[], nn.Module],
    *,
    data: Any,
    epochs: int,
    lr: float,
    batch_size: int = 128,
    seed: int = 0,
    optimizer: str = "adam",
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> float:
    """Test accuracy of ordinary training: the baseline of :func:`intrinsic_dimension`.

    Uses the same θ₀ and minibatch order as :func:`subspace_training_score` with the same
    ``seed``. Arguments as there.

    Returns:
        Test accuracy in [0, 1].
    """
    _check_training(optimizer, lr, epochs)
    init_seed, _, order_seed = _seeds(seed)
    x_tr, y_tr, x_te, y_te = _tensors(data, device, dtype)
    model = _build(build_model, init_seed).to(device=device, dtype=dtype)
    opt = _optimizer(optimizer, model.parameters(), lr)
    gen = torch.Generator().manual_seed(order_seed)
    fit(model, x_tr, y_tr, optimizer=opt, epochs=epochs, batch_size=batch_size, generator=gen)
    return accuracy(model, x_te, y_te)
