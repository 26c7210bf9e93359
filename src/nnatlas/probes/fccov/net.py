"""FCCov-Net: a neural network trained to maximise the Fréchet cumulative covariance.

Yuan, Wang, Yu, "Fréchet Cumulative Covariance Net for Deep Nonlinear Sufficient Dimension
Reduction with Random Objects" (arXiv 2502.15374). Any ``nn.Module`` mapping predictors to
``k`` features (an MLP for tabular ``X``, a CNN for images) is trained by minimising
``-FCCov_n(f_θ(X), Y) + λ ‖Cov_n(f_θ(X)) - I_k‖_F²`` (:func:`~nnatlas.probes.fccov.objective.fccov_loss`)
on full batches or minibatches; the response enters only through its pairwise distances in a
:class:`~nnatlas.probes.fccov.metrics.MetricSpace`, computed once. The shared training loop
(:func:`nnatlas.train.loop.fit`) drives the optimiser: the loop's targets are sample indices,
and each batch's metric balls are looked up (full batch: computed once and cached).

:func:`fccov_mlp` and :func:`fccov_cnn` build the two architectures of the paper at small scale
(the paper's CNN is ResNet-type; ours is a plain three-block CNN with global pooling).
Deviations: Adam instead of the paper's optimiser (not known to us), a fixed ``λ``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_real, check_tensor
from nnatlas.nn.models import MLP
from nnatlas.probes.fccov.metrics import MetricSpace, get_metric
from nnatlas.probes.fccov.objective import MetricBalls, fccov_loss, metric_balls
from nnatlas.train.loop import fit

__all__ = ["FCCovNet", "fccov_cnn", "fccov_mlp"]


def fccov_mlp(
    in_features: int, out_features: int, hidden: Sequence[int] = (64, 64), activation: str = "relu"
) -> nn.Module:
    """The tabular feature map: ``MLP(in_features, hidden, out_features)``."""
    check_int("in_features", in_features)
    check_int("out_features", out_features)
    return MLP(in_features, list(hidden), out_features, activation=activation)


def fccov_cnn(in_channels: int, out_features: int, width: int = 16) -> nn.Module:
    """A small image feature map: three conv blocks (stride 2 after the first), pooling, linear.

    Shape:
        ``(batch, in_channels, H, W) -> (batch, out_features)``.
    """
    check_int("in_channels", in_channels)
    check_int("out_features", out_features)
    w = check_int("width", width)
    return nn.Sequential(
        nn.Conv2d(in_channels, w, 3, padding=1), nn.ReLU(),
        nn.Conv2d(w, 2 * w, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(2 * w, 2 * w, 3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * w, out_features),
    )  # fmt: skip


class FCCovNet:
    """Train a feature map ``f_θ`` so that ``f_θ(X)`` captures what ``X`` says about ``Y``.

    Args:
        model: any module mapping ``(n, ...)`` predictors to ``(n, k)`` features.
        metric: the response metric (a :class:`MetricSpace` or a name of
            :data:`~nnatlas.probes.fccov.metrics.METRICS`).
        lam: weight of the orthogonality regulariser ``‖Cov(f) - I‖_F²``.

    Example:
        >>> net = FCCovNet(fccov_mlp(10, 2), "wasserstein2")
        >>> history = net.fit(x, quantiles, epochs=300, lr=3e-3)     # doctest: +SKIP
        >>> z = net.transform(x_test)                                 # (m, 2)
    """

    def __init__(
        self, model: nn.Module, metric: str | MetricSpace = "euclidean", *, lam: float = 1.0
    ):
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be an nn.Module; got {type(model).__name__}")
        self.model = model
        self.metric = get_metric(metric)
        self.lam = check_real("lam", lam, low=0.0, low_open=True)
        self._balls: MetricBalls | None = None
        self._distances: Tensor | None = None

    def fit(
        self,
        x: Tensor,
        y: Tensor | None = None,
        *,
        distances: Tensor | None = None,
        epochs: int = 300,
        lr: float = 1e-3,
        batch_size: int | None = None,
        weight_decay: float = 0.0,
        generator: torch.Generator | None = None,
        on_epoch: Callable[[int, dict[str, float]], bool | None] | None = None,
    ) -> list[dict[str, float]]:
        """Minimise the FCCov-Net objective with Adam.

        Args:
            x: ``(n, ...)`` predictors.
            y: ``(n, ...)`` responses in ``metric``'s space (or give ``distances``).
            distances: ``(n, n)`` precomputed response distances instead of ``y``.
            epochs: passes over the data.
            lr: Adam learning rate.
            batch_size: minibatch size (``>= 2``); ``None`` trains full-batch.
            weight_decay: Adam weight decay.
            generator: CPU generator for the minibatch shuffling.
            on_epoch: called as ``on_epoch(epoch, record)`` (see :func:`nnatlas.train.loop.fit`).

        Returns:
            The per-epoch records of :func:`nnatlas.train.loop.fit` (``loss`` = the objective).
        """
        xs = check_tensor("x", x, min_ndim=1, nonempty=True)
        n = xs.shape[0]
        if (y is None) == (distances is None):
            raise ConfigError("FCCovNet.fit: give exactly one of y and distances")
        if distances is None:
            self.metric.validate(y, "y")  # type: ignore[arg-type]
            if y.shape[0] != n:  # type: ignore[union-attr]
                raise ConfigError(
                    f"x and y must have the same number of samples; got {n} and {y.shape[0]}"  # type: ignore[union-attr]
                )
            d = self.metric.pairwise(y)  # type: ignore[arg-type]
        else:
            d = check_tensor("distances", distances, ndim=2, nonempty=True)
            if d.shape != (n, n):
                raise ConfigError(
                    f"distances must be ({n}, {n}) for {n} samples; got {tuple(d.shape)}"
                )
        check_int("epochs", epochs, low=0)
        check_real("lr", lr, low=0.0, low_open=True)
        if batch_size is not None:
            check_int("batch_size", batch_size, low=2)
        d = d.to(device=xs.device)
        self._distances = d
        full = batch_size is None or batch_size >= n
        self._balls = metric_balls(d) if full else None
        optimizer = torch.optim.Adam(self.model.parameters(), lr=lr, weight_decay=weight_decay)
        index = torch.arange(n, device=xs.device)
        return fit(
            self.model, xs, index, optimizer=optimizer, epochs=epochs,
            batch_size=None if full else batch_size, batch_loss=self._batch_loss,
            generator=generator, min_batch=2, on_epoch=on_epoch,
        )  # fmt: skip

    def _batch_loss(self, model: nn.Module, xb: Tensor, idx: Tensor) -> Tensor:
        features = model(xb)
        if features.dim() != 2:
            raise ConfigError(
                f"FCCovNet: model must return (n, k) features; got shape {tuple(features.shape)}"
            )
        if self._balls is not None and len(idx) == self._balls.order.shape[0]:
            # full batch: fit passes the samples in their original order
            return fccov_loss(features, self._balls, self.lam)
        assert self._distances is not None
        return fccov_loss(features, self._distances[idx][:, idx], self.lam)

    @torch.no_grad()
    def transform(self, x: Tensor) -> Tensor:
        """The learned sufficient predictors ``f_θ(x)``: ``(m, ...) -> (m, k)`` (eval mode)."""
        xs = check_tensor("x", x, min_ndim=1, nonempty=True)
        was = self.model.training
        self.model.eval()
        try:
            return self.model(xs)
        finally:
            self.model.train(was)

    __call__ = transform
