"""Inference with infinite-width kernels: NNGP posterior and NTK gradient-flow predictions.

* :func:`gp_posterior`: exact Gaussian-process regression with an NNGP (or any) kernel: the
  posterior mean ``K(x, X) (K(X, X) + sigma^2 I)^-1 Y`` and covariance
  ``K(x, x) - K(x, X) (K(X, X) + sigma^2 I)^-1 K(X, x)`` (Lee et al., "Deep Neural Networks as
  Gaussian Processes", arXiv 1711.00165), by a Cholesky factorization.
* :func:`gradient_flow_mse`: the function learned by gradient flow (or gradient descent) on the
  MSE loss ``0.5 * ||f(X) - Y||^2`` in the NTK regime (Jacot et al., arXiv 1806.07572; Lee et
  al., "Wide Neural Networks of Any Depth Evolve as Linear Models Under Gradient Descent",
  arXiv 1902.06720), at any number of training times at once:
  ``f_t(x) = f_0(x) + Theta(x, X) Theta^-1 (I - exp(-eta Theta t)) (Y - f_0(X))``. With
  ``f_0 = 0`` it is the mean over initializations (the "ensemble" predictor); with a given
  network's ``f_0`` it is that network's linearized trajectory (the initialization term).
  ``discrete=True`` uses ``(I - eta Theta)^t`` for ``t`` steps of gradient descent instead.
* :func:`ntk_ensemble_covariance`: the covariance over random initializations of the NTK
  predictor (eq. 16 of arXiv 1902.06720), which needs the NNGP kernel as well.

All time dependence goes through one eigendecomposition of ``Theta(X, X)``, so any number of
times costs one matrix product each. Time 0 returns exactly the initialization and
``t = inf`` kernel regression with ``Theta`` (a pseudo-inverse on a numerically singular
kernel). Non-symmetric kernels (e.g. surrogate-gradient NTKs) are handled with a general
eigendecomposition.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor

from nnatlas.core.errors import ConfigError
from nnatlas.kernels.validation import check_tensor

__all__ = ["Posterior", "gp_posterior", "gradient_flow_mse", "ntk_ensemble_covariance"]


class Posterior(NamedTuple):
    """Gaussian posterior at test inputs.

    Attributes:
        mean: ``(n_test,)`` or ``(n_test, outputs)``, matching the targets' shape.
        covariance: ``(n_test, n_test)`` if a full test kernel was given, ``(n_test,)``
            variances for a diagonal, ``None`` without one. Shared by all output columns.
    """

    mean: Tensor
    covariance: Tensor | None


def _check_square(name: str, k: Tensor) -> int:
    check_tensor(name, k)
    if k.dim() != 2 or k.shape[0] != k.shape[1]:
        raise ValueError(f"{name} must be a square (n, n) matrix; got shape {tuple(k.shape)}")
    return k.shape[0]


def _check_targets(y: Tensor, n: int) -> tuple[Tensor, bool]:
    """Targets as ``(n, outputs)``; the flag says they were a vector."""
    check_tensor("y_train", y)
    if y.dim() not in (1, 2) or y.shape[0] != n:
        raise ValueError(
            f"y_train must have shape ({n},) or ({n}, outputs) to match the kernel; "
            f"got {tuple(y.shape)}"
        )
    return (y.unsqueeze(1), True) if y.dim() == 1 else (y, False)


def _check_cross(k_cross: Tensor, n: int, name: str = "k_test_train") -> int:
    check_tensor(name, k_cross)
    if k_cross.dim() != 2 or k_cross.shape[1] != n:
        raise ValueError(f"{name} must have shape (n_test, {n}); got {tuple(k_cross.shape)}")
    return k_cross.shape[0]


def _check_nonneg(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a float; got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name} must be finite and >= 0; got {value}")
    return float(value)


def gp_posterior(
    k_train: Tensor,
    k_test_train: Tensor,
    y_train: Tensor,
    k_test: Tensor | None = None,
    *,
    noise: float = 0.0,
    jitter: float = 1e-10,
) -> Posterior:
    """Gaussian-process posterior (e.g. the NNGP posterior) at test inputs.

    Args:
        k_train: ``(n, n)`` kernel between training inputs.
        k_test_train: ``(m, n)`` kernel between test and training inputs.
        y_train: ``(n,)`` or ``(n, outputs)`` targets.
        k_test: ``(m, m)`` test kernel (full covariance), ``(m,)`` its diagonal (variances),
            or ``None`` (mean only).
        noise: observation noise variance ``sigma^2`` added to the training diagonal.
        jitter: extra diagonal, relative to the mean training diagonal, for conditioning.

    Returns:
        :class:`Posterior` ``(mean, covariance)``; the covariance excludes observation noise.
    """
    n = _check_square("k_train", k_train)
    m = _check_cross(k_test_train, n)
    y, was_vector = _check_targets(y_train, n)
    noise = _check_nonneg("noise", noise)
    jitter = _check_nonneg("jitter", jitter)
    scale = float(k_train.diagonal().mean().abs()) if n else 1.0
    eye = torch.eye(n, dtype=k_train.dtype, device=k_train.device)
    chol, info = torch.linalg.cholesky_ex(k_train + (noise + jitter * scale) * eye)
    if int(info) != 0:
        raise ValueError(
            "k_train + (noise + jitter) I is not positive definite (Cholesky failed at "
            f"column {int(info)}); increase noise or jitter"
        )
    alpha = torch.cholesky_solve(y.to(k_train.dtype), chol)
    mean = k_test_train @ alpha
    covariance: Tensor | None = None
    if k_test is not None:
        check_tensor("k_test", k_test)
        v = torch.linalg.solve_triangular(chol, k_test_train.T, upper=False)  # (n, m)
        if k_test.dim() == 2 and k_test.shape == (m, m):
            covariance = k_test - v.T @ v
        elif k_test.dim() == 1 and k_test.shape[0] == m:
            covariance = k_test - (v * v).sum(0)
        else:
            raise ValueError(
                f"k_test must have shape ({m}, {m}) or ({m},); got {tuple(k_test.shape)}"
            )
    return Posterior(mean.squeeze(1) if was_vector else mean, covariance)


class _Spectrum(NamedTuple):
    """``Theta = V diag(lam) V^-1`` (``V^-1 = V^T`` in the symmetric case)."""

    values: Tensor
    vectors: Tensor
    inverse: Tensor
    complex: bool


def _spectrum(theta: Tensor) -> _Spectrum:
    scale = float(theta.abs().max()) if theta.numel() else 1.0
    if torch.allclose(theta, theta.T, atol=1e-12 * max(scale, 1e-300), rtol=0.0):
        values, vectors = torch.linalg.eigh((theta + theta.T) / 2)
        return _Spectrum(values, vectors, vectors.T, False)
    values_c, vectors_c = torch.linalg.eig(theta)
    return _Spectrum(values_c, vectors_c, torch.linalg.inv(vectors_c), True)


def _times(t: float | Sequence[float] | Tensor) -> tuple[Tensor, bool]:
    if isinstance(t, Tensor) and (t.dtype.is_complex or t.dtype == torch.bool):
        raise TypeError(f"t must be real training times; got a {t.dtype} tensor")
    try:
        times = torch.as_tensor(t, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(f"t must be a time or a sequence of times; got {t!r}") from err
    scalar = times.dim() == 0
    times = times.reshape(-1)
    if torch.isnan(times).any() or (times < 0).any():
        raise ConfigError(f"t (training times) must be >= 0 (inf allowed); got {times.tolist()}")
    return times, scalar


def _filters(spec: _Spectrum, times: Tensor, learning_rate: float, discrete: bool) -> Tensor:
    """``g_t(lam) = (1 - decay) / lam`` per time and eigenvalue: ``(T, n)``.

    ``decay = exp(-eta lam t)`` (flow) or ``(1 - eta lam)^t`` (descent). ``g`` takes its limit
    ``eta t`` for ``lam -> 0``, and 0 (a pseudo-inverse) for a numerically zero ``lam`` at
    ``t = inf``.
    """
    lam = spec.values
    eta = learning_rate
    tiny = float(lam.abs().max()) * 1e-12 if lam.numel() else 0.0
    small = lam.abs() <= tiny
    finite = torch.isfinite(times).view(-1, 1)
    t_fin = torch.where(finite, times.view(-1, 1), torch.zeros(1, dtype=times.dtype))
    t_fin = t_fin.to(device=lam.device).to(lam.dtype)
    finite = finite.to(lam.device)
    if discrete:
        one_minus_decay = 1.0 - (1.0 - eta * lam) ** t_fin
    else:
        one_minus_decay = -torch.expm1(-eta * lam * t_fin)
    one_minus_decay = torch.where(finite, one_minus_decay, torch.ones_like(one_minus_decay))
    g = one_minus_decay / torch.where(small, torch.ones_like(lam), lam)
    return torch.where(small, torch.where(finite, eta * t_fin, torch.zeros_like(g)), g)


def gradient_flow_mse(
    ntk_train: Tensor,
    ntk_test_train: Tensor,
    y_train: Tensor,
    t: float | Sequence[float] | Tensor,
    *,
    learning_rate: float = 1.0,
    f0_train: Tensor | None = None,
    f0_test: Tensor | None = None,
    discrete: bool = False,
) -> Tensor:
    """Predictions of a network trained on MSE in the NTK (linearized) regime.

    With ``f0_train = f0_test = None`` this is the mean over initializations (outputs are 0
    in mean at initialization); passing one network's initial outputs gives that network's
    linearized trajectory. The loss is ``0.5 * sum (f(X) - Y)^2`` (not averaged), so the
    function moves by ``-learning_rate * Theta (f - Y)`` per unit time.

    Args:
        ntk_train: ``(n, n)`` NTK on the training inputs.
        ntk_test_train: ``(m, n)`` NTK between test and training inputs (pass ``ntk_train``
            to get the training-set predictions).
        y_train: ``(n,)`` or ``(n, outputs)`` targets.
        t: training time(s) (``inf`` allowed); for ``discrete=True``, numbers of steps.
        learning_rate: ``eta``.
        f0_train: ``(n,)`` / ``(n, outputs)`` initial outputs on the training inputs.
        f0_test: ``(m,)`` / ``(m, outputs)`` initial outputs on the test inputs.
        discrete: gradient descent with step ``eta`` instead of gradient flow.

    Returns:
        ``(m,)`` / ``(m, outputs)`` for a scalar ``t``; ``(len(t), m[, outputs])`` otherwise.
    """
    n = _check_square("ntk_train", ntk_train)
    m = _check_cross(ntk_test_train, n, "ntk_test_train")
    y, was_vector = _check_targets(y_train, n)
    learning_rate = _check_nonneg("learning_rate", learning_rate)
    times, scalar = _times(t)
    if (f0_train is None) != (f0_test is None):
        raise ValueError("give both f0_train and f0_test (a network's initial outputs) or neither")
    dtype = ntk_train.dtype
    y = y.to(dtype)
    residual = y
    base = torch.zeros(m, y.shape[1], dtype=dtype, device=y.device)
    if f0_train is not None and f0_test is not None:
        check_tensor("f0_train", f0_train)
        check_tensor("f0_test", f0_test)
        f0_tr = f0_train.reshape(n, -1).to(dtype)
        f0_te = f0_test.reshape(m, -1).to(dtype)
        if f0_tr.shape != y.shape or f0_te.shape != (m, y.shape[1]):
            raise ValueError(
                f"f0_train must match y_train's shape {tuple(y_train.shape)} and f0_test must "
                f"have {m} rows; got {tuple(f0_train.shape)} and {tuple(f0_test.shape)}"
            )
        residual = y - f0_tr
        base = f0_te
    spec = _spectrum(ntk_train)
    g = _filters(spec, times, learning_rate, discrete)  # (T, n)
    work = spec.inverse @ residual.to(spec.inverse.dtype)  # (n, outputs)
    coeffs = g.unsqueeze(-1) * work.unsqueeze(0)  # (T, n, outputs)
    mapped = torch.einsum("ij,tjo->tio", spec.vectors, coeffs)
    out = torch.einsum("mi,tio->tmo", ntk_test_train.to(mapped.dtype), mapped)
    if spec.complex:
        out = out.real
    out = base.unsqueeze(0) + out.to(dtype)
    if was_vector:
        out = out.squeeze(-1)
    return out[0] if scalar else out


def ntk_ensemble_covariance(
    ntk_train: Tensor,
    ntk_test_train: Tensor,
    nngp_train: Tensor,
    nngp_test_train: Tensor,
    nngp_test: Tensor,
    t: float | Sequence[float] | Tensor,
    *,
    learning_rate: float = 1.0,
    discrete: bool = False,
) -> Tensor:
    """Covariance over initializations of the NTK-regime predictor at times ``t``.

    With ``T_t = Theta(x, X) Theta^-1 (I - exp(-eta Theta t))``, the prediction is
    ``f_0(x) - T_t f_0(X) + T_t Y`` and ``f_0 ~ GP(0, K)`` (the NNGP), so its covariance is
    ``K(x, x') - T_t K(X, x') - K(x, X) T_t'^T + T_t K(X, X) T_t'^T``.

    Args:
        ntk_train: ``(n, n)`` NTK on the training inputs.
        ntk_test_train: ``(m, n)`` NTK test-train.
        nngp_train: ``(n, n)`` NNGP on the training inputs.
        nngp_test_train: ``(m, n)`` NNGP test-train.
        nngp_test: ``(m, m)`` NNGP on the test inputs.
        t: training time(s); see :func:`gradient_flow_mse`.
        learning_rate: ``eta``.
        discrete: gradient descent instead of gradient flow.

    Returns:
        ``(m, m)`` for a scalar ``t``, else ``(len(t), m, m)``.
    """
    n = _check_square("ntk_train", ntk_train)
    m = _check_cross(ntk_test_train, n, "ntk_test_train")
    check_tensor("nngp_train", nngp_train)
    check_tensor("nngp_test_train", nngp_test_train)
    check_tensor("nngp_test", nngp_test)
    if nngp_train.shape != (n, n):
        raise ValueError(f"nngp_train must have shape ({n}, {n}); got {tuple(nngp_train.shape)}")
    if nngp_test_train.shape != (m, n):
        raise ValueError(
            f"nngp_test_train must have shape ({m}, {n}); got {tuple(nngp_test_train.shape)}"
        )
    if nngp_test.shape != (m, m):
        raise ValueError(f"nngp_test must have shape ({m}, {m}); got {tuple(nngp_test.shape)}")
    learning_rate = _check_nonneg("learning_rate", learning_rate)
    times, scalar = _times(t)
    spec = _spectrum(ntk_train)
    g = _filters(spec, times, learning_rate, discrete)  # (T, n)
    left = ntk_test_train.to(spec.vectors.dtype) @ spec.vectors  # (m, n)
    # T_t = left diag(g_t) V^-1, for every t at once: (T, m, n)
    transfer = torch.einsum("mi,ti,in->tmn", left, g, spec.inverse)
    if spec.complex:
        transfer = transfer.real
    transfer = transfer.to(ntk_train.dtype)
    cross = transfer @ nngp_test_train.T  # (T, m, m): T_t K(X, x')
    cov = (
        nngp_test.unsqueeze(0)
        - cross
        - cross.transpose(1, 2)
        + transfer @ nngp_train @ transfer.transpose(1, 2)
    )
    return cov[0] if scalar else cov
