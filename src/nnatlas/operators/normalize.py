"""Operator data normalisation and evaluation in physical units.

The operator reproductions share one sequence: fit normalisation statistics on the training
inputs and outputs, train the model on the normalised pairs, and measure the test error after
mapping predictions back to physical units. This module holds both ends of it:

* :class:`OperatorNormalizer` — z-scores inputs and outputs with statistics fitted on the
  training set, globally (one mean and std per tensor, e.g. Darcy's coefficient fields) or per
  channel (one per index of ``channel_dim``). Outputs are by default only scaled, not centred
  (``y / std(y)``, the MgNO and recipe setting, which keeps a zero boundary value at zero).
  A frozen dataclass of tensors: :meth:`~OperatorNormalizer.state_dict` /
  :meth:`~OperatorNormalizer.from_state_dict` round-trip it (``torch.save``-able).
* :func:`evaluate_operator` — batched, gradient-free evaluation of a model on test pairs with
  relative L² and MSE computed in physical units.

Statistics are computed in the dtype of the data with torch's reductions (``mean``, and
``std`` with Bessel's correction by default, as ``Tensor.std``), so a normaliser reproduces the
hand-written ``(a - a.mean()) / a.std()`` of earlier code bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.operators.losses import relative_l2_loss

__all__ = ["OperatorNormalizer", "evaluate_operator"]

_FIELDS = ("x_mean", "x_std", "y_mean", "y_std")


def _check_samples(name: str, t: object, *, min_samples: int = 1) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(t).__name__}")
    if not t.is_floating_point():
        raise TypeError(f"{name} must be a real floating tensor; got dtype {t.dtype}")
    if t.dim() < 1 or t.shape[0] < min_samples:
        raise ConfigError(
            f"{name} must be (samples, ...) with at least {min_samples} sample(s); "
            f"got shape {tuple(t.shape)}"
        )
    return t


def _stats(
    name: str, t: Tensor, per_channel: bool, channel_dim: int, correction: int
) -> tuple[Tensor, Tensor]:
    if not bool(torch.isfinite(t).all()):
        raise ConfigError(f"{name} holds NaN or inf values; statistics would be meaningless")
    if per_channel:
        if not 1 <= channel_dim < t.dim():
            raise ConfigError(
                f"channel_dim must index a non-sample axis of {name} (1..{t.dim() - 1}); "
                f"got {channel_dim} for shape {tuple(t.shape)}"
            )
        dims = tuple(d for d in range(t.dim()) if d != channel_dim)
        count = math.prod(t.shape[d] for d in dims)
        mean = t.mean(dim=dims, keepdim=True)
        std = t.std(dim=dims, keepdim=True, correction=correction) if count > correction else None
        # Keep only the channel axis: (C,), reshaped at use so any grid/batch broadcasts.
        mean = mean.reshape(-1)
        std = std.reshape(-1) if std is not None else torch.ones_like(mean)
    else:
        count = t.numel()
        mean = t.mean()
        std = t.std(correction=correction) if count > correction else torch.ones_like(mean)
    # A constant field (std 0 up to the rounding of its mean) is only centred: dividing by
    # rounding noise would blow up. The threshold is relative, so small-scale data keeps its std.
    tiny = 1e3 * torch.finfo(t.dtype).eps * mean.abs()
    std = torch.where(std <= tiny, torch.ones_like(std), std)
    return mean, std


@dataclass(frozen=True)
class OperatorNormalizer:
    """Affine normalisation of operator inputs ``x`` and outputs ``y`` fitted on training data.

    ``encode_x(x) = (x - x_mean) / x_std``, ``encode_y(y) = (y - y_mean) / y_std`` and
    ``decode_y(z) = z * y_std + y_mean`` (and ``decode_x`` likewise). An uncentred side has a
    zero mean, and its maps skip the addition (so ``decode_y(z) == z * y_std`` exactly).

    Build one with :meth:`fit`. Attributes are tensors: 0-d for global statistics, ``(C,)`` for
    per-channel ones (applied along ``channel_dim`` of any tensor with that axis, whatever its
    grid, e.g. a finer test resolution).

    Attributes:
        x_mean, x_std: input statistics.
        y_mean, y_std: output statistics.
        channel_dim: the channel axis of per-channel statistics (ignored for global ones).
        center_x, center_y: whether each side is centred (its mean is zero otherwise).
    """

    x_mean: Tensor
    x_std: Tensor
    y_mean: Tensor
    y_std: Tensor
    channel_dim: int = 1
    center_x: bool = True
    center_y: bool = False

    @classmethod
    def fit(
        cls,
        x: Tensor,
        y: Tensor,
        *,
        per_channel: bool = False,
        channel_dim: int = 1,
        center_x: bool = True,
        center_y: bool = False,
        correction: int = 1,
    ) -> OperatorNormalizer:
        """Fit the statistics on training inputs ``x`` and outputs ``y``.

        Args:
            x: training inputs (n, ...), finite floating values.
            y: training outputs (n, ...), same number of samples n.
            per_channel: one mean/std per index of ``channel_dim`` instead of one per tensor.
            channel_dim: the channel axis (>= 1; the sample axis is 0).
            center_x, center_y: subtract the mean on that side (default: inputs yes, outputs
                no, i.e. outputs are only divided by their std).
            correction: degrees-of-freedom correction of the std (1: Bessel's, as
                ``Tensor.std``; 0: population std).

        Raises:
            TypeError: a non-tensor or non-floating ``x`` / ``y``.
            ConfigError: no samples, unequal sample counts, non-finite values, a bad
                ``channel_dim`` or ``correction``.
        """
        x = _check_samples("x", x)
        y = _check_samples("y", y)
        if x.shape[0] != y.shape[0]:
            raise ConfigError(
                f"x and y must hold the same number of samples; got {x.shape[0]} and {y.shape[0]}"
            )
        check_int("channel_dim", channel_dim)
        check_int("correction", correction, low=0)
        for name, flag in (
            ("per_channel", per_channel),
            ("center_x", center_x),
            ("center_y", center_y),
        ):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool; got {type(flag).__name__} {flag!r}")
        x_mean, x_std = _stats("x", x, per_channel, channel_dim, correction)
        y_mean, y_std = _stats("y", y, per_channel, channel_dim, correction)
        return cls(
            x_mean=x_mean if center_x else torch.zeros_like(x_mean),
            x_std=x_std,
            y_mean=y_mean if center_y else torch.zeros_like(y_mean),
            y_std=y_std,
            channel_dim=channel_dim,
            center_x=center_x,
            center_y=center_y,
        )

    # -- applying the maps --------------------------------------------------------------------

    def _shape(self, name: str, stat: Tensor, t: object) -> Tensor:
        if not isinstance(t, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor; got {type(t).__name__}")
        if not t.is_floating_point():
            raise TypeError(f"{name} must be a real floating tensor; got dtype {t.dtype}")
        if stat.dim() == 0:
            return stat
        d = self.channel_dim
        if t.dim() <= d or t.shape[d] != stat.shape[0]:
            raise ConfigError(
                f"{name} must have {stat.shape[0]} channels along dim {d} (the statistics were "
                f"fitted per channel); got shape {tuple(t.shape)}"
            )
        return stat.reshape((-1,) + (1,) * (t.dim() - d - 1))

    def _encode(self, name: str, t: Tensor, mean: Tensor, std: Tensor, center: bool) -> Tensor:
        s = self._shape(name, std, t).to(t.dtype)
        if center:
            return (t - self._shape(name, mean, t).to(t.dtype)) / s
        return t / s

    def _decode(self, name: str, t: Tensor, mean: Tensor, std: Tensor, center: bool) -> Tensor:
        out = t * self._shape(name, std, t).to(t.dtype)
        if center:
            out = out + self._shape(name, mean, t).to(t.dtype)
        return out

    def encode_x(self, x: Tensor) -> Tensor:
        """Normalised inputs ``(x - x_mean) / x_std``, same shape as ``x``."""
        return self._encode("x", x, self.x_mean, self.x_std, self.center_x)

    def decode_x(self, z: Tensor) -> Tensor:
        """Inputs in physical units, ``z * x_std + x_mean`` (inverse of :meth:`encode_x`)."""
        return self._decode("z", z, self.x_mean, self.x_std, self.center_x)

    def encode_y(self, y: Tensor) -> Tensor:
        """Normalised outputs ``(y - y_mean) / y_std`` (training targets)."""
        return self._encode("y", y, self.y_mean, self.y_std, self.center_y)

    def decode_y(self, z: Tensor) -> Tensor:
        """Outputs in physical units, ``z * y_std + y_mean`` (of a model's prediction)."""
        return self._decode("z", z, self.y_mean, self.y_std, self.center_y)

    # -- persistence ----------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The statistics (tensors) and settings, for ``torch.save`` / :meth:`from_state_dict`."""
        out: dict[str, Any] = {f: getattr(self, f).detach().clone() for f in _FIELDS}
        out.update(channel_dim=self.channel_dim, center_x=self.center_x, center_y=self.center_y)
        return out

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> OperatorNormalizer:
        """Rebuild a normaliser from :meth:`state_dict`'s output."""
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict; got {type(state).__name__}")
        missing = [f for f in (*_FIELDS, "channel_dim", "center_x", "center_y") if f not in state]
        if missing:
            raise ConfigError(f"state is missing the entries {missing}")
        for f in _FIELDS:
            if not isinstance(state[f], Tensor):
                raise TypeError(f"state[{f!r}] must be a tensor; got {type(state[f]).__name__}")
        return cls(
            **{f: state[f].clone() for f in _FIELDS},
            channel_dim=int(state["channel_dim"]),
            center_x=bool(state["center_x"]),
            center_y=bool(state["center_y"]),
        )

    def to(
        self, device: torch.device | str | None = None, dtype: torch.dtype | None = None
    ) -> OperatorNormalizer:
        """A copy with the statistics on ``device`` / in ``dtype``."""
        moved = {f: getattr(self, f).to(device=device, dtype=dtype) for f in _FIELDS}
        return OperatorNormalizer(
            **moved, channel_dim=self.channel_dim, center_x=self.center_x, center_y=self.center_y
        )


def _check_inputs(x: object) -> tuple[Tensor, ...]:
    """``x`` as a tuple of tensors with one common sample count (a tensor or a tuple of them)."""
    if isinstance(x, tuple | list):
        if not x:
            raise ConfigError("x must be a tensor or a non-empty tuple of tensors; got ()")
        parts = tuple(_check_samples(f"x[{i}]", t) for i, t in enumerate(x))
        counts = {t.shape[0] for t in parts}
        if len(counts) != 1:
            raise ConfigError(
                f"x's tensors must share the sample count; got shapes {[tuple(t.shape) for t in parts]}"
            )
        return parts
    return (_check_samples("x", x),)


@torch.no_grad()
def evaluate_operator(
    model: nn.Module,
    x: Tensor | Sequence[Tensor],
    y: Tensor,
    *,
    normalizer: OperatorNormalizer | None = None,
    batch_size: int = 64,
) -> dict[str, float]:
    """Test errors of ``model`` on ``(x, y)`` in physical units, in batches, without gradients.

    The prediction for a batch is ``normalizer.decode_y(model(normalizer.encode_x(x_batch)))``
    (just ``model(x_batch)`` without a normaliser). The model runs in eval mode and is returned
    to its previous mode.

    Args:
        model: maps a batch of (encoded) inputs to a batch shaped like ``y``.
        x: test inputs (n, ...) in physical units; or a tuple of tensors sharing n, passed to
            ``model(*x_batch)`` (e.g. DeepONet's ``(u, y)``), of which only the first (the
            input function) is encoded by the normaliser.
        y: test outputs (n, ...) in physical units.
        normalizer: the one fitted on the training set, or ``None``.
        batch_size: samples per forward pass.

    Returns:
        ``{"rel_l2": mean over samples of ‖pred − y‖₂ / ‖y‖₂ (as
        :func:`~nnatlas.operators.relative_l2_loss`; for 1-D ``y`` (one value per sample, e.g.
        DeepONet's pointwise layout) that is the mean relative absolute error), "mse": mean of
        (pred − y)² over every element}``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    xs = _check_inputs(x)
    y = _check_samples("y", y)
    n = xs[0].shape[0]
    if n != y.shape[0]:
        raise ConfigError(f"x and y must hold the same number of samples; got {n} and {y.shape[0]}")
    if normalizer is not None and not isinstance(normalizer, OperatorNormalizer):
        raise TypeError(
            f"normalizer must be an OperatorNormalizer or None; got {type(normalizer).__name__}"
        )
    check_int("batch_size", batch_size)
    was_training = model.training
    model.eval()
    rel_sum, sq_sum = 0.0, 0.0
    try:
        for begin in range(0, n, batch_size):
            xb = [t[begin : begin + batch_size] for t in xs]
            yb = y[begin : begin + batch_size]
            if normalizer is not None:
                xb[0] = normalizer.encode_x(xb[0])
            out = model(*xb)
            pred = out if normalizer is None else normalizer.decode_y(out)
            if not isinstance(pred, Tensor) or pred.shape != yb.shape:
                shape = tuple(pred.shape) if isinstance(pred, Tensor) else type(pred).__name__
                raise ConfigError(
                    f"model output must have the shape of y's batch {tuple(yb.shape)}; got {shape}"
                )
            flat_pred, flat_y = pred.reshape(pred.shape[0], -1), yb.reshape(yb.shape[0], -1)
            rel_sum += float(relative_l2_loss(flat_pred, flat_y, reduction="sum"))
            sq_sum += float((pred - yb).pow(2).sum())
    finally:
        model.train(was_training)
    return {"rel_l2": rel_sum / n, "mse": sq_sum / y.numel()}
