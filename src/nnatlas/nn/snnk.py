"""Scalable Neural Network Kernels (Sehanobish, Choromanski, Zhao, Dubey, Likhosherstov; ICLR 2024).

arXiv: 2310.13225. A feed-forward layer computes ``y_j = f(w_jᵀx + b_j)``: the input and the
weights meet inside the nonlinearity. An SNNK layer *disentangles* them: it writes
``y_j ≈ φ(x)ᵀ ψ(w_j, b_j)`` with a fixed random feature map ``φ`` of the input only and trains
the ``m``-dimensional vectors ``ψ_j`` directly, so the trainable size of a layer drops from
``out · in`` to ``out · m``.

Feature maps implemented here (all unbiased Monte-Carlo estimators, so the squared error of a
kernel estimate falls as ``1/m``):

* **ReLU random features** (:func:`relu_features`, :class:`ReLUSNNK`):
  ``φ(x) = m^{-1/2} ReLU(G x)`` with Gaussian rows ``g_k``; ``φ(x)ᵀφ(w)`` estimates the
  first-order arc-cosine kernel ``E_g[ReLU(gᵀx) ReLU(gᵀw)]`` (:func:`arccos_kernel`), which is a
  different function of ``(x, w)`` than ``ReLU(wᵀx)``; the layer's ψ starts at ``φ(W₀)``.
* **Universal random features** (:func:`urf_input_features`, :func:`urf_weight_features`,
  :class:`URFSNNK`): write ``f(z) = Σ_s c_s e^{iξ_s z}`` (a :class:`Spectrum`: exact for sin, cos
  and exp(i·), a truncated Fourier series for a general periodic ``f``, see
  :func:`fourier_series_spectrum`). For ``g ~ N(0, I)`` and complex ``a`` with ``a² = iξ``,
  ``E[exp(a gᵀx − a²‖x‖²/2) · exp(a gᵀw − a²‖w‖²/2)] = exp(a² xᵀw) = e^{iξ xᵀw}``, so
  ``Re(φ(x)ᵀψ(w, b))`` with ``φ_{s,k}(x) = m^{-1/2} exp(a_s g_kᵀx − a_s²‖x‖²/2)`` and
  ``ψ_{s,k}(w, b) = m^{-1/2} c_s e^{iξ_s b} exp(a_s g_kᵀw − a_s²‖w‖²/2)`` estimates
  ``f(wᵀx + b)`` without bias. The layer starts as an estimate of ``f(W₀x + b₀)``.
* **Orthogonal features** (``orthogonal=True``, :func:`gaussian_projection`): rows drawn in
  blocks of ``in_features`` mutually orthogonal directions with chi-distributed norms, so every
  row is still marginally ``N(0, I)`` (the estimators stay unbiased) while the variance drops.

Also: :class:`SNNKAdapter` (residual adapter whose down-projection is a ReLU-SNNK layer, up-
projection zero-initialised or ``N(0, 0.02²)``), and *bundling*: a network reduced to fixed
features and one linear map, ``f(x) = Φ(x)ᵀΨ``, whose head has a closed form under squared loss
(:func:`ridge_head`, :class:`BundledSNNK`) — no backpropagation.

Deviations from the paper and its official repository (arijitthegame/neural-network-kernels):

* Written from the equations. The repository's URF path does not run as published (a keyword
  ``normalize_constant`` that no function accepts) and draws some "Gaussian" projections with
  ``torch.rand`` (uniform), which biases the estimator; here every projection is Gaussian and the
  tests check unbiasedness against the exact kernel.
* The repository's asymmetric variance-reduction variant (parameter ``M``) is not implemented.
* Complex features are kept real: ``Re(φᵀψ) = Re φ · Re ψ − Im φ · Im ψ``, so the trainable ψ of a
  URF layer is a real ``(out, 2·K·m)`` matrix (``K`` frequencies).
* Bundling is offered only in its extreme form (all of the network before the head is fixed);
  merging chains of SNNK layers is not.
* ``ReLUSNNK`` has an optional trainable output bias (the paper folds everything into ψ).
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.core.validation import check_int, check_positive, check_real
from nnatlas.nn._checks import check_factory_dtype, check_input, module_dtype

__all__ = [
    "URFSNNK",
    "BundledSNNK",
    "ReLUSNNK",
    "SNNKAdapter",
    "Spectrum",
    "arccos_kernel",
    "fourier_series_spectrum",
    "gaussian_projection",
    "relu_features",
    "ridge_head",
    "spectrum",
    "urf_input_features",
    "urf_weight_features",
]


# --------------------------------------------------------------------------- projections


def gaussian_projection(
    num_features: int,
    dim: int,
    *,
    orthogonal: bool = False,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> Tensor:
    """A random projection whose rows are (marginally) standard Gaussian vectors.

    Args:
        num_features: number of rows ``m``.
        dim: dimension ``d`` of each row.
        orthogonal: draw rows in blocks of ``d`` exactly orthogonal directions (the last block
            is truncated), each row rescaled to the norm of an independent ``N(0, I_d)`` vector,
            so that every row is still distributed as ``N(0, I_d)``.
        generator: random stream (the global one if ``None``).
        device, dtype: of the result (default float32 on CPU).

    Returns:
        ``(num_features, dim)``.
    """
    check_int("num_features", num_features)
    check_int("dim", dim)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None; got {generator!r}")
    if dtype is not None and (not isinstance(dtype, torch.dtype) or not dtype.is_floating_point):
        raise TypeError(f"dtype must be a floating-point torch.dtype or None; got {dtype!r}")
    dtype = dtype or torch.get_default_dtype()
    if not orthogonal:
        return torch.randn(num_features, dim, generator=generator, dtype=dtype).to(device)
    blocks = []
    for start in range(0, num_features, dim):
        rows = min(dim, num_features - start)
        # QR in float64: the orthogonality should not depend on the working dtype.
        gauss = torch.randn(dim, dim, generator=generator, dtype=torch.float64)
        q, r = torch.linalg.qr(gauss)
        # Sign fix makes Q Haar-distributed rather than biased by the QR convention.
        q = q * torch.sign(torch.diagonal(r)).unsqueeze(0)
        blocks.append(q.T[:rows])
    directions = torch.cat(blocks)
    norms = torch.randn(num_features, dim, generator=generator, dtype=torch.float64).norm(dim=1)
    return (directions * norms.unsqueeze(1)).to(device=device, dtype=dtype)


# --------------------------------------------------------------------------- ReLU features


def relu_features(x: Tensor, projection: Tensor) -> Tensor:
    """ReLU random features ``φ(x) = m^{-1/2} ReLU(G x)``.

    ``relu_features(x, G) @ relu_features(w, G).T`` is an unbiased estimate of
    ``arccos_kernel(x, w)`` when the rows of ``G`` are ``N(0, I)`` (of ``σ² · arccos_kernel``
    when they are ``N(0, σ² I)``).

    Args:
        x: ``(..., d)``.
        projection: ``G``, ``(m, d)``.

    Returns:
        ``(..., m)``.
    """
    _check_projection(projection, x)
    _check_last_dim("x", x, projection.shape[1])
    return F.relu(x @ projection.T) / math.sqrt(projection.shape[0])


def arccos_kernel(x: Tensor, w: Tensor) -> Tensor:
    """First-order arc-cosine kernel ``E_{g~N(0,I)}[ReLU(gᵀx) ReLU(gᵀw)]`` in closed form.

    Equal to ``‖x‖ ‖w‖ (sin θ + (π − θ) cos θ) / (2π)`` with θ the angle between ``x`` and ``w``
    (Cho & Saul 2009).

    Args:
        x: ``(n, d)``.
        w: ``(k, d)``.

    Returns:
        ``(n, k)``.
    """
    check_input("arccos_kernel", x, ndim=2, expected="(n, d)")
    check_input("arccos_kernel", w, name="w", dtype=x.dtype, ndim=2, expected="(k, d)")
    if x.shape[1] != w.shape[1]:
        raise ValueError(
            f"arccos_kernel expects x (n, d) and w (k, d); got {tuple(x.shape)} and {tuple(w.shape)}"
        )
    nx = x.norm(dim=1, keepdim=True)
    nw = w.norm(dim=1, keepdim=True)
    cos = (x @ w.T) / (nx * nw.T).clamp_min(torch.finfo(x.dtype).tiny)
    theta = torch.arccos(cos.clamp(-1.0, 1.0))
    return nx * nw.T * (torch.sin(theta) + (math.pi - theta) * torch.cos(theta)) / (2 * math.pi)


# --------------------------------------------------------------------------- universal features


@dataclass(frozen=True)
class Spectrum:
    """A function given by a finite Fourier expansion ``f(z) = Re Σ_s c_s e^{iξ_s z}``.

    Attributes:
        frequencies: ``ξ_s`` (real).
        coefficients: ``c_s`` (complex), one per frequency.
        name: a label for ``repr``.
    """

    frequencies: tuple[float, ...]
    coefficients: tuple[complex, ...]
    name: str = "custom"

    def __post_init__(self) -> None:
        if len(self.frequencies) == 0 or len(self.frequencies) != len(self.coefficients):
            raise ConfigError(
                "Spectrum needs as many coefficients as frequencies (at least one); got "
                f"{len(self.frequencies)} frequencies and {len(self.coefficients)} coefficients"
            )
        object.__setattr__(self, "frequencies", tuple(float(f) for f in self.frequencies))
        object.__setattr__(self, "coefficients", tuple(complex(c) for c in self.coefficients))

    def __call__(self, z: Tensor) -> Tensor:
        """Evaluate ``f`` elementwise on a real tensor."""
        out = torch.zeros_like(z)
        for xi, c in zip(self.frequencies, self.coefficients, strict=True):
            out = out + c.real * torch.cos(xi * z) - c.imag * torch.sin(xi * z)
        return out


_SPECTRA: dict[str, Spectrum] = {
    # cos z = (e^{iz} + e^{-iz}) / 2 ; sin z = (e^{iz} - e^{-iz}) / (2i)
    "cos": Spectrum((1.0, -1.0), (0.5, 0.5), "cos"),
    "sin": Spectrum((1.0, -1.0), (-0.5j, 0.5j), "sin"),
}


def spectrum(name: str) -> Spectrum:
    """The exact spectrum of a named activation: ``"sin"`` or ``"cos"``."""
    try:
        return _SPECTRA[name]
    except KeyError:
        raise UnknownNameError("activation spectrum", name, sorted(_SPECTRA)) from None


def fourier_series_spectrum(
    f: Callable[[Tensor], Tensor], *, period: float, num_terms: int, num_samples: int = 4096
) -> Spectrum:
    """The truncated Fourier series of a real function on ``[-period/2, period/2)``.

    ``f`` is treated as periodic with that period; the coefficients ``c_n`` for
    ``|n| ≤ num_terms`` (frequencies ``2πn / period``) are computed by the FFT of
    ``num_samples`` equispaced samples. Outside the interval the series repeats ``f``, so choose
    the period larger than the range of pre-activations you expect.

    Args:
        f: vectorised real function of a float64 tensor.
        period: length of the interval.
        num_terms: highest harmonic kept.
        num_samples: FFT size (more than ``2 * num_terms``).

    Returns:
        A :class:`Spectrum` with ``2 * num_terms + 1`` frequencies.
    """
    if not callable(f):
        raise TypeError(f"f must be a callable of a float64 tensor; got {type(f).__name__}")
    check_int("num_terms", num_terms, low=0)
    check_int("num_samples", num_samples, low=2 * num_terms + 1)
    check_real("period", period, low=0.0, low_open=True)
    z = (torch.arange(num_samples, dtype=torch.float64) / num_samples - 0.5) * period
    values = f(z)
    if not isinstance(values, Tensor) or values.shape != z.shape or values.is_complex():
        got = tuple(values.shape) if isinstance(values, Tensor) else type(values).__name__
        raise ValueError(
            f"f must map a ({num_samples},) float64 tensor to real values of the same shape; "
            f"got {got}"
        )
    values = values.to(torch.float64)
    if not bool(torch.isfinite(values).all()):
        raise ValueError(f"f returned NaN or infinite values on [-{period}/2, {period}/2)")
    # Sample k sits at z_k = -P/2 + kP/N: c_n = (1/N) Σ f(z_k) e^{-iξ_n z_k}, ξ_n = 2πn/P.
    coeffs = torch.fft.fft(values) / num_samples
    freqs, cs = [], []
    for n in range(-num_terms, num_terms + 1):
        c = complex(coeffs[n % num_samples]) * cmath.exp(1j * math.pi * n)
        freqs.append(2 * math.pi * n / period)
        cs.append(c)
    return Spectrum(tuple(freqs), tuple(cs), "fourier-series")


def _complex_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.complex128 if dtype == torch.float64 else torch.complex64


def _urf_exponent(v: Tensor, projection: Tensor, frequencies: Tensor) -> Tensor:
    """``a_s g_kᵀv − a_s² ‖v‖² / 2`` for every frequency s and row k: ``(..., K, m)``."""
    cdtype = _complex_dtype(v.dtype)
    # a = sqrt(iξ): modulus sqrt|ξ|, phase ±π/4 by the sign of ξ.
    phase = (math.pi / 4) * torch.where(frequencies >= 0, 1.0, -1.0).to(frequencies.dtype)
    a = torch.polar(frequencies.abs().sqrt(), phase).to(cdtype)
    a2 = (1j * frequencies).to(cdtype)
    proj = (v @ projection.T).to(cdtype)  # (..., m)
    sq = (v * v).sum(-1, keepdim=True).to(cdtype)  # (..., 1)
    return a.unsqueeze(-1) * proj.unsqueeze(-2) - a2.unsqueeze(-1) * sq.unsqueeze(-2) / 2


def _spectrum_tensors(spec: Spectrum, like: Tensor) -> tuple[Tensor, Tensor]:
    freqs = torch.tensor(spec.frequencies, dtype=like.dtype, device=like.device)
    coeffs = torch.tensor(
        [[c.real, c.imag] for c in spec.coefficients], dtype=like.dtype, device=like.device
    )
    return freqs, coeffs


def urf_input_features(x: Tensor, projection: Tensor, frequencies: Tensor) -> Tensor:
    """Universal random features of the input: ``φ_{s,k}(x) = m^{-1/2} exp(a_s g_kᵀx − a_s²‖x‖²/2)``.

    Args:
        x: ``(..., d)`` real.
        projection: Gaussian ``G``, ``(m, d)``.
        frequencies: ``ξ``, ``(K,)``.

    Returns:
        Complex ``(..., K * m)`` (frequency-major).
    """
    _check_projection(projection, x)
    _check_frequencies(frequencies, x)
    _check_last_dim("x", x, projection.shape[1])
    phi = torch.exp(_urf_exponent(x, projection, frequencies)) / math.sqrt(projection.shape[0])
    return phi.flatten(-2)


def urf_weight_features(
    w: Tensor, b: Tensor | None, projection: Tensor, frequencies: Tensor, coefficients: Tensor
) -> Tensor:
    """Universal random features of weights: ``ψ_{s,k}(w, b) = m^{-1/2} c_s e^{iξ_s b} exp(a_s g_kᵀw − a_s²‖w‖²/2)``.

    ``Re(urf_input_features(x, ...) @ urf_weight_features(w, b, ...).T)`` is an unbiased estimate
    of ``f(x wᵀ + b)`` for the function ``f`` with that spectrum.

    Args:
        w: ``(k, d)`` real.
        b: ``(k,)`` real, or ``None`` for zero bias.
        projection: ``(m, d)``, the same matrix as for the inputs.
        frequencies: ``(K,)``.
        coefficients: ``(K, 2)``: real and imaginary parts of ``c_s``.

    Returns:
        Complex ``(k, K * m)``.
    """
    _check_projection(projection, w, name="w")
    _check_frequencies(frequencies, w, name="w")
    _check_last_dim("w", w, projection.shape[1])
    k = frequencies.shape[0]
    check_input("urf_weight_features", coefficients, name="coefficients", dtype=w.dtype, ndim=2,
                expected=f"(K, 2) = ({k}, 2)")  # fmt: skip
    if coefficients.shape != (k, 2):
        raise ConfigError(
            f"coefficients must have shape (K, 2) = ({k}, 2); got {tuple(coefficients.shape)}"
        )
    if b is not None:
        check_input("urf_weight_features", b, name="b", dtype=w.dtype, ndim=1,
                    expected=f"(k,) = ({w.shape[0]},)")  # fmt: skip
        if w.ndim != 2 or b.shape[0] != w.shape[0]:
            raise ConfigError(f"b must have shape (k,) = ({w.shape[0]},); got {tuple(b.shape)}")
    cdtype = _complex_dtype(w.dtype)
    c = torch.complex(coefficients[:, 0], coefficients[:, 1]).to(cdtype)  # (K,)
    log_psi = _urf_exponent(w, projection, frequencies)  # (k, K, m)
    if b is not None:
        log_psi = log_psi + (1j * b.unsqueeze(-1) * frequencies).to(cdtype).unsqueeze(-1)
    psi = c.unsqueeze(-1) * torch.exp(log_psi) / math.sqrt(projection.shape[0])
    return psi.flatten(-2)


def _check_projection(projection: Tensor, like: Tensor, name: str = "x") -> None:
    """``projection`` is an ``(m, d)`` float tensor; ``like`` (named ``name``) has its dtype."""
    check_input("random features", like, name=name)
    check_input("random features", projection, name="projection", dtype=like.dtype, ndim=2,
                expected="(m, d)")  # fmt: skip


def _check_frequencies(frequencies: Tensor, like: Tensor, name: str = "x") -> None:
    check_input("random features", frequencies, name="frequencies", dtype=like.dtype, ndim=1,
                expected="(K,)")  # fmt: skip


def _check_last_dim(name: str, t: Tensor, d: int) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(t).__name__}")
    if t.ndim < 1 or t.shape[-1] != d:
        raise ValueError(f"{name} must have last dimension {d}; got shape {tuple(t.shape)}")


# --------------------------------------------------------------------------- layers


def _linear_init(out_features: int, in_features: int, weight: Tensor, bias: Tensor | None) -> None:
    """nn.Linear's default initialisation, written into the given tensors."""
    nn.init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        bound = 1 / math.sqrt(in_features)
        nn.init.uniform_(bias, -bound, bound)


class ReLUSNNK(nn.Module):
    """ReLU-SNNK layer: ``y = φ(x) Ψᵀ + b`` with fixed ``φ(x) = m^{-1/2} ReLU(G x)``.

    Row ``j`` of the trainable ``Ψ`` (``out_features × num_features``) plays the role of
    ``ψ(w_j) = m^{-1/2} ReLU(G w_j)``; it is initialised so from an ``nn.Linear``-style weight
    ``W₀``, i.e. the layer starts at ``projection_std² · arccos_kernel(x, W₀)`` (in expectation).
    Trainable parameters: ``out · m (+ out)`` instead of ``out · in (+ out)``.

    Args:
        in_features: input size ``d``.
        out_features: output size.
        num_features: number of random features ``m``.
        bias: add a trainable output bias.
        orthogonal: orthogonal random features (see :func:`gaussian_projection`).
        projection_std: standard deviation of the entries of ``G`` (1 makes the features an
            estimate of the arc-cosine kernel itself; ``d^{-1/2}`` keeps feature magnitudes
            independent of the input size).
        device, dtype: of the parameters and buffers.

    Shape:
        - Input: ``(*, in_features)``.
        - Output: ``(*, out_features)``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        num_features: int,
        *,
        bias: bool = True,
        orthogonal: bool = False,
        projection_std: float = 1.0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        self.in_features = check_int("in_features", in_features)
        self.out_features = check_int("out_features", out_features)
        self.num_features = check_int("num_features", num_features)
        self.projection_std = check_positive("projection_std", projection_std)
        self.orthogonal = bool(orthogonal)
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        self.register_buffer("projection", torch.empty(num_features, in_features, **kw))
        self.weight = nn.Parameter(torch.empty(out_features, num_features, **kw))
        self.bias = nn.Parameter(torch.empty(out_features, **kw)) if bias else None
        self.reset_parameters()

    projection: Tensor

    def reset_parameters(self) -> None:
        """Redraw ``G`` (global RNG), then set ``Ψ = φ(W₀)`` for a fresh ``nn.Linear`` init ``W₀``."""
        g = gaussian_projection(
            self.num_features,
            self.in_features,
            orthogonal=self.orthogonal,
            dtype=self.projection.dtype,
        )
        with torch.no_grad():
            self.projection.copy_(g * self.projection_std)
            w0 = torch.empty(self.out_features, self.in_features, dtype=self.weight.dtype)
            _linear_init(self.out_features, self.in_features, w0, self.bias)
            self.weight.copy_(relu_features(w0.to(self.weight.device), self.projection))

    def features(self, x: Tensor) -> Tensor:
        """The fixed input features ``φ(x)``: ``(*, in_features) -> (*, num_features)``."""
        return relu_features(x, self.projection)

    def forward(self, x: Tensor) -> Tensor:
        check_input("ReLUSNNK", x, dtype=module_dtype(self))
        return F.linear(self.features(x), self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"num_features={self.num_features}, bias={self.bias is not None}, "
            f"orthogonal={self.orthogonal}, projection_std={self.projection_std:g}"
        )


class URFSNNK(nn.Module):
    """SNNK layer with universal random features: ``y_j ≈ f(w_jᵀx + b_j)`` as ``Re φ(x)ᵀψ_j``.

    The trainable ``Ψ`` (``out_features × 2·K·m``, ``K`` = number of frequencies of ``f``) holds
    the real and imaginary parts of ``ψ(w_j, b_j)``; it is initialised from an ``nn.Linear``-style
    ``(W₀, b₀)``, so the fresh layer is an unbiased estimate of ``f(x W₀ᵀ + b₀)``. The bias lives
    inside ψ (through ``e^{iξb}``), so there is no separate bias parameter. The estimator's
    variance grows with ``‖x‖`` and ``|ξ|``: keep inputs of moderate norm (e.g. normalised).

    Args:
        in_features: input size ``d``.
        out_features: output size.
        num_features: Gaussian features per frequency ``m``.
        activation: ``"sin"``, ``"cos"`` or a :class:`Spectrum` (e.g. from
            :func:`fourier_series_spectrum`).
        orthogonal: orthogonal random features.
        device, dtype: of the parameters and buffers (real dtypes; complex arithmetic happens in
            the matching complex dtype).

    Shape:
        - Input: ``(*, in_features)``.
        - Output: ``(*, out_features)``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        num_features: int,
        *,
        activation: str | Spectrum = "sin",
        orthogonal: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        self.in_features = check_int("in_features", in_features)
        self.out_features = check_int("out_features", out_features)
        self.num_features = check_int("num_features", num_features)
        if isinstance(activation, str):
            activation = spectrum(activation)
        if not isinstance(activation, Spectrum):
            raise TypeError(
                f"activation must be 'sin', 'cos' or a Spectrum; got {type(activation).__name__}"
            )
        self.spectrum = activation
        self.orthogonal = bool(orthogonal)
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        k = len(activation.frequencies)
        self.register_buffer("projection", torch.empty(num_features, in_features, **kw))
        freqs, coeffs = _spectrum_tensors(activation, torch.empty(0, **kw))
        self.register_buffer("frequencies", freqs)
        self.register_buffer("coefficients", coeffs)
        self.weight = nn.Parameter(torch.empty(out_features, 2 * k * num_features, **kw))
        self.reset_parameters()

    projection: Tensor
    frequencies: Tensor
    coefficients: Tensor

    def reset_parameters(self) -> None:
        """Redraw ``G`` (global RNG), then set ``Ψ = ψ(W₀, b₀)`` for a fresh ``nn.Linear`` init."""
        g = gaussian_projection(
            self.num_features,
            self.in_features,
            orthogonal=self.orthogonal,
            dtype=self.projection.dtype,
        )
        with torch.no_grad():
            self.projection.copy_(g)
            w0 = torch.empty(self.out_features, self.in_features, dtype=self.weight.dtype)
            b0 = torch.empty(self.out_features, dtype=self.weight.dtype)
            _linear_init(self.out_features, self.in_features, w0, b0)
            dev = self.weight.device
            psi = urf_weight_features(
                w0.to(dev), b0.to(dev), self.projection, self.frequencies, self.coefficients
            )
            # Re(φψ) = Re φ · Re ψ − Im φ · Im ψ, with φ laid out as [Re φ, Im φ].
            self.weight.copy_(torch.cat([psi.real, -psi.imag], dim=-1))

    def features(self, x: Tensor) -> Tensor:
        """Real input features ``[Re φ(x), Im φ(x)]``: ``(*, in_features) -> (*, 2·K·m)``."""
        phi = urf_input_features(x, self.projection, self.frequencies)
        return torch.cat([phi.real, phi.imag], dim=-1)

    def forward(self, x: Tensor) -> Tensor:
        check_input("URFSNNK", x, dtype=module_dtype(self))
        return F.linear(self.features(x), self.weight)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"num_features={self.num_features}, activation={self.spectrum.name}, "
            f"frequencies={len(self.spectrum.frequencies)}, orthogonal={self.orthogonal}"
        )


class SNNKAdapter(nn.Module):
    """Residual adapter ``x + U · SNNK(x)`` whose down-projection is a :class:`ReLUSNNK` layer.

    Args:
        dim: feature size of the residual stream.
        bottleneck: adapter width ``r``.
        num_features: random features ``m`` of the down-projection.
        up_init: ``"zeros"`` (the adapter starts as the identity) or ``"normal"`` (``N(0, 0.02²)``,
            BERT-style).
        orthogonal: orthogonal random features.
        projection_std: see :class:`ReLUSNNK`; default ``dim^{-1/2}``.
        device, dtype: of the parameters and buffers.

    Shape:
        - Input: ``(*, dim)``.
        - Output: ``(*, dim)``.
    """

    def __init__(
        self,
        dim: int,
        bottleneck: int,
        num_features: int,
        *,
        up_init: str = "zeros",
        orthogonal: bool = False,
        projection_std: float | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        self.dim = check_int("dim", dim)
        self.bottleneck = check_int("bottleneck", bottleneck)
        if up_init not in ("zeros", "normal"):
            raise UnknownNameError("up_init", up_init, ["normal", "zeros"])
        self.up_init = up_init
        std = dim**-0.5 if projection_std is None else projection_std
        self.down = ReLUSNNK(
            dim, bottleneck, num_features, orthogonal=orthogonal, projection_std=std,
            device=device, dtype=dtype,
        )  # fmt: skip
        self.up = nn.Linear(bottleneck, dim, device=device, dtype=dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-initialise the down-projection and the up-projection (by ``up_init``)."""
        self.down.reset_parameters()
        with torch.no_grad():
            if self.up_init == "zeros":
                self.up.weight.zero_()
            else:
                self.up.weight.normal_(0.0, 0.02)
            self.up.bias.zero_()

    def forward(self, x: Tensor) -> Tensor:
        check_input("SNNKAdapter", x, dtype=module_dtype(self))
        return x + self.up(self.down(x))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, bottleneck={self.bottleneck}, up_init={self.up_init!r}"


# --------------------------------------------------------------------------- bundling


def ridge_head(
    features: Tensor, targets: Tensor, ridge: float = 0.0, *, fit_bias: bool = True
) -> tuple[Tensor, Tensor | None]:
    """Closed-form head ``argmin_{W,b} ‖Φ Wᵀ + b − Y‖² + ridge · ‖W‖²`` (bias not penalised).

    On centred features and targets, in float64: for ``ridge > 0`` by a Cholesky solve of the
    primal ``(Φ_cᵀΦ_c + λI) Wᵀ = Φ_cᵀY_c`` or, when there are fewer samples than features, the
    dual ``Wᵀ = Φ_cᵀ(Φ_cΦ_cᵀ + λI)⁻¹Y_c``; for ``ridge = 0`` (or a failed factorisation) by
    least squares on ``[Φ_c; √λ I] Wᵀ ≈ [Y_c; 0]``, the minimum-norm solution when Φ is
    rank-deficient.

    Args:
        features: ``Φ``, ``(n, m)``.
        targets: ``Y``, ``(n, k)`` or ``(n,)``.
        ridge: ``λ ≥ 0``.
        fit_bias: fit an unpenalised intercept.

    Returns:
        ``(weight (k, m), bias (k,) or None)``; for 1-D targets ``k = 1``.
    """
    check_input("ridge_head", features, name="features")
    check_input("ridge_head", targets, name="targets")
    if features.ndim != 2 or features.shape[0] == 0:
        raise ValueError(f"features must be (n, m) with n >= 1; got shape {tuple(features.shape)}")
    if not bool(torch.isfinite(features).all()):
        raise ValueError("features hold NaN or infinite values; the least-squares fit is undefined")
    if not bool(torch.isfinite(targets).all()):
        raise ValueError("targets hold NaN or infinite values; the least-squares fit is undefined")
    y = targets.unsqueeze(1) if targets.ndim == 1 else targets
    if y.ndim != 2 or y.shape[0] != features.shape[0]:
        raise ValueError(
            f"targets must be (n,) or (n, k) with n = {features.shape[0]}; got {tuple(targets.shape)}"
        )
    check_real("ridge", ridge, low=0.0)
    out_dtype = features.dtype
    # Solve in float64: the closed form is cheap next to training, and small ridges make the
    # Gram matrix ill-conditioned in float32.
    phi, y = features.to(torch.float64), y.to(torch.float64)
    if fit_bias:
        mu_x, mu_y = phi.mean(0), y.mean(0)
        a, rhs = phi - mu_x, y - mu_y
    else:
        a, rhs = phi, y
    n, m = a.shape
    sol: Tensor | None = None
    if ridge > 0:
        # Primal (m × m) or dual (n × n) normal equations, whichever system is smaller.
        if n >= m:
            gram = a.T @ a + ridge * torch.eye(m, dtype=a.dtype, device=a.device)
            chol, info = torch.linalg.cholesky_ex(gram)
            if int(info) == 0:
                sol = torch.cholesky_solve(a.T @ rhs, chol)
        else:
            gram = a @ a.T + ridge * torch.eye(n, dtype=a.dtype, device=a.device)
            chol, info = torch.linalg.cholesky_ex(gram)
            if int(info) == 0:
                sol = a.T @ torch.cholesky_solve(rhs, chol)
    if sol is None:
        if ridge > 0:
            a = torch.cat([a, math.sqrt(ridge) * torch.eye(m, dtype=a.dtype, device=a.device)])
            rhs = torch.cat([rhs, rhs.new_zeros(m, rhs.shape[1])])
        # gelsd handles rank-deficient systems (the minimum-norm solution), but only on CPU.
        driver = "gelsd" if a.device.type == "cpu" else None
        sol = torch.linalg.lstsq(a, rhs, driver=driver).solution  # (m, k)
    weight = sol.T.contiguous().to(out_dtype)
    bias = (mu_y - mu_x @ sol).to(out_dtype) if fit_bias else None
    return weight, bias


class BundledSNNK(nn.Module):
    """A fully bundled SNNK model ``f(x) = Φ(x) Ψᵀ + b`` with fixed features and a linear head.

    The head can be trained by backpropagation like any layer or fitted in closed form by
    :meth:`fit_ridge` (squared loss on one-hot targets for classification).

    Args:
        in_features: input size ``d``.
        out_features: output size (classes).
        num_features: random features ``m`` (per frequency for URF features).
        activation: ``"relu"`` for ReLU features, or ``"sin"``/``"cos"``/a :class:`Spectrum` for
            universal random features (real and imaginary parts as features).
        orthogonal: orthogonal random features.
        projection_std: scale of ``G`` for ReLU features (default ``d^{-1/2}``); URF features use
            ``N(0, I)``.
        device, dtype: of the parameters and buffers.

    Shape:
        - Input: ``(*, in_features)``.
        - Output: ``(*, out_features)``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        num_features: int,
        *,
        activation: str | Spectrum = "relu",
        orthogonal: bool = False,
        projection_std: float | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        self.in_features = check_int("in_features", in_features)
        self.out_features = check_int("out_features", out_features)
        self.num_features = check_int("num_features", num_features)
        self.orthogonal = bool(orthogonal)
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        self.spectrum: Spectrum | None
        if activation == "relu":
            self.spectrum = None
            self.projection_std = (
                in_features**-0.5
                if projection_std is None
                else check_positive("projection_std", projection_std)
            )
            width = num_features
        else:
            self.spectrum = spectrum(activation) if isinstance(activation, str) else activation
            if not isinstance(self.spectrum, Spectrum):
                raise TypeError(
                    f"activation must be 'relu', 'sin', 'cos' or a Spectrum; got {activation!r}"
                )
            self.projection_std = 1.0
            width = 2 * len(self.spectrum.frequencies) * num_features
        freqs = torch.tensor(self.spectrum.frequencies if self.spectrum else (), **kw)
        self.register_buffer("projection", torch.empty(num_features, in_features, **kw))
        self.register_buffer("frequencies", freqs)
        self.head = nn.Linear(width, out_features, **kw)
        self.reset_parameters()

    projection: Tensor
    frequencies: Tensor

    def reset_parameters(self) -> None:
        """Redraw the projection (global RNG) and re-initialise the head like ``nn.Linear``."""
        g = gaussian_projection(
            self.num_features,
            self.in_features,
            orthogonal=self.orthogonal,
            dtype=self.projection.dtype,
        )
        with torch.no_grad():
            self.projection.copy_(g * self.projection_std)
        self.head.reset_parameters()

    def features(self, x: Tensor) -> Tensor:
        """The fixed features ``Φ(x)``."""
        if self.spectrum is None:
            return relu_features(x, self.projection)
        phi = urf_input_features(x, self.projection, self.frequencies)
        return torch.cat([phi.real, phi.imag], dim=-1)

    @torch.no_grad()
    def fit_ridge(self, x: Tensor, y: Tensor, ridge: float = 1e-3) -> BundledSNNK:
        """Set the head in closed form by ridge regression (no backpropagation).

        Args:
            x: inputs ``(n, in_features)``.
            y: integer class labels ``(n,)`` (regressed as one-hot vectors) or real targets
                ``(n, out_features)``.
            ridge: ``λ ≥ 0``.

        Returns:
            ``self``.
        """
        if y.ndim == 1 and not y.is_floating_point():
            targets = F.one_hot(y, self.out_features).to(self.head.weight.dtype)
        else:
            targets = y
        if targets.ndim != 2 or targets.shape[1] != self.out_features:
            raise ValueError(
                f"y must be integer labels (n,) or targets (n, {self.out_features}); "
                f"got shape {tuple(y.shape)}"
            )
        weight, bias = ridge_head(self.features(x), targets, ridge)
        self.head.weight.copy_(weight)
        assert bias is not None
        self.head.bias.copy_(bias)
        return self

    def forward(self, x: Tensor) -> Tensor:
        check_input("BundledSNNK", x, dtype=module_dtype(self))
        return self.head(self.features(x))

    def extra_repr(self) -> str:
        kind = "relu" if self.spectrum is None else self.spectrum.name
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"num_features={self.num_features}, activation={kind}, orthogonal={self.orthogonal}"
        )
