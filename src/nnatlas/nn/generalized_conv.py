"""Generalized convolutions: kernel and weighted-distance similarities in place of the inner product.

Paper: "Generalizing the Convolution Operator in Convolutional Neural Networks", Kamaledin
Ghiasi-Shirazi, arXiv 1707.09864 (2017; Neural Processing Letters 2019).

An ordinary convolution scores each k×k×C input patch ``x`` against each filter ``w_j`` by the
inner product ``<w_j, x>``. The paper replaces that similarity by

* a positive-definite kernel ``kappa(w_j, x)`` (an ordinary convolution in the kernel's feature
  space): polynomial ``(<w, x> + c)^d`` and Gaussian ``exp(-gamma ||x - w||^2)``
  (:class:`KernelConv2d`);
* a negated weighted distance between patch and template (neocognitron-style template
  matching), with a learned non-negative weight per filter element:
  weighted L2 ``-sum_i alpha_i (x_i - w_i)^2`` (:class:`WeightedL2Conv2d`) and weighted L1
  ``-sum_i alpha_i |x_i - w_i|`` (:class:`WeightedL1Conv2d`).

Implementation notes:

* Weighted L2 expands the square, ``-conv(x^2, alpha) + 2 conv(x, alpha*w) - sum(alpha w^2)``: three
  ordinary convolutions, no patch matrix.
* Weighted L1 has no such expansion. It works on the unfolded patch matrix (im2col) and a custom
  autograd function that processes samples, patch positions and output channels in chunks in
  both the forward and the backward pass, so the ``N×O×K×L`` broadcast of patch minus template is never held in
  memory at once (``max_chunk_elements`` bounds it). The derivative of ``|t|`` at ``t = 0`` is
  taken as 0 (a sub-gradient). Double backward is not supported for this layer.
* Zero padding pads the *input*, so padded patch entries are compared with the template like any
  other value (the unfold reference in the tests does the same).
* ``alpha = softplus(rho) / ln 2`` keeps the weights positive and equal to 1 at ``rho = 0``
  (the paper only requires ``alpha >= 0``; it does not fix a parametrisation).
* Distance outputs are ``<= 0`` and grow with the patch size, so a normalisation layer after them
  (as in our reproduction) or the optional ``bias`` is needed in practice.
* Templates initialised from random Gaussian noise train slowly; :func:`init_templates_from_data`
  copies random patches of each layer's actual input into its templates (our notes found this
  necessary for weighted L1 on digits; the paper does not discuss initialisation).

Only ``groups=1`` is provided. The journal version's "L2 family" interpolation is not included.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.modules.utils import _pair

from nnatlas.core.errors import ConfigError, UnknownNameError
from nnatlas.core.validation import check_int, check_positive, check_real
from nnatlas.nn._checks import check_factory_dtype, check_input, module_dtype

__all__ = [
    "KernelConv2d",
    "WeightedL1Conv2d",
    "WeightedL2Conv2d",
    "init_templates_from_data",
    "weighted_l1_conv2d",
    "weighted_l2_conv2d",
]

_LN2 = math.log(2.0)

IntPair = int | tuple[int, int]


def _pair_arg(name: str, value: Any, low: int) -> tuple[int, int]:
    pair = _pair(value)
    if len(pair) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints; got {value!r}")
    return (check_int(name, pair[0], low=low), check_int(name, pair[1], low=low))


def _check_templates(owner: str, x: Tensor, weight: Tensor, alpha: Tensor) -> None:
    """The functional convolutions' arguments: 4-D float tensors of one dtype, matching."""
    for name, t in (("x", x), ("weight", weight), ("alpha", alpha)):
        check_input(owner, t, name=name, dtype=None if name == "x" else x.dtype, ndim=4,
                    expected="(N, C, H, W)" if name == "x" else "(O, C, kh, kw)")  # fmt: skip
    if weight.shape[1] != x.shape[1]:
        raise ConfigError(
            f"{owner}: weight has {weight.shape[1]} input channels but x has {x.shape[1]}"
        )
    if alpha.shape != weight.shape:
        raise ConfigError(
            f"{owner}: alpha must have the shape of weight {tuple(weight.shape)}; got "
            f"{tuple(alpha.shape)}"
        )


def _geometry(
    owner: str, x: Tensor, weight: Tensor, stride: Any, padding: Any, dilation: Any
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], int, int]:
    """Checked ``(stride, padding, dilation, h_out, w_out)`` of a template convolution."""
    st = _pair_arg("stride", stride, 1)
    pad = _pair_arg("padding", padding, 0)
    dil = _pair_arg("dilation", dilation, 1)
    kh, kw = weight.shape[-2:]
    h_out = (x.shape[2] + 2 * pad[0] - dil[0] * (kh - 1) - 1) // st[0] + 1
    w_out = (x.shape[3] + 2 * pad[1] - dil[1] * (kw - 1) - 1) // st[1] + 1
    if h_out < 1 or w_out < 1:
        raise ValueError(
            f"{owner}: x of spatial size {tuple(x.shape[2:])} is smaller than the kernel "
            f"{(kh, kw)} (padding {pad}, dilation {dil})"
        )
    return st, pad, dil, h_out, w_out


def _positive(rho: Tensor) -> Tensor:
    return F.softplus(rho) / _LN2


def weighted_l2_conv2d(
    x: Tensor,
    weight: Tensor,
    alpha: Tensor,
    *,
    stride: IntPair = 1,
    padding: IntPair = 0,
    dilation: IntPair = 1,
) -> Tensor:
    """Negated weighted squared L2 distance between every patch and every template.

    ``out[n, j, p] = -sum_i alpha[j, i] (patch_p(x[n])_i - weight[j, i])^2``, computed with
    three ordinary convolutions.

    Args:
        x: ``(N, C, H, W)``.
        weight: templates ``(O, C, kh, kw)``.
        alpha: non-negative element weights, same shape as ``weight``.
        stride, padding, dilation: as in ``F.conv2d`` (zero padding of the input).

    Returns:
        ``(N, O, H_out, W_out)``.
    """
    _check_templates("weighted_l2_conv2d", x, weight, alpha)
    st, pad, dil, _, _ = _geometry("weighted_l2_conv2d", x, weight, stride, padding, dilation)
    quadratic = F.conv2d(x * x, alpha, None, st, pad, dil)
    cross = F.conv2d(x, alpha * weight, None, st, pad, dil)
    const = (alpha * weight * weight).sum(dim=(1, 2, 3))
    return 2.0 * cross - quadratic - const.view(1, -1, 1, 1)


class _WeightedL1(torch.autograd.Function):
    """``out[n, o, l] = -sum_k alpha[o, k] |cols[n, l, k] - w[o, k]|``, chunked three ways.

    ``cols`` is the patch matrix with patches last, ``(N, L, K)``, so each reduction over ``K``
    runs over contiguous memory and becomes a batched matrix product. Chunks run over samples,
    patch positions and output channels, so one ``patch - template`` block has at most
    ``budget`` elements (or ``K``, one patch against one template): a block that stays in the
    CPU's L2 cache is several times faster than one that does not (see
    ``benchmarks/bench_generalized_conv.py``). Each output is still one ``K``-term sum; the
    chunking only changes which sums one batched product computes together (and so, at most,
    the kernel's summation order): results agree with the unchunked broadcast to float rounding.
    """

    @staticmethod
    def _chunks(n: int, o: int, k: int, l_: int, budget: int) -> tuple[int, int, int]:
        """Chunk sizes ``(nc, oc, lc)`` with ``nc * oc * lc * k <= max(budget, k)``.

        One template per chunk (``oc = 1``): with several, the broadcast difference and the
        batched product run about 5× slower per element on CPU (measured, torch 2.13). Positions
        are split when one sample's patches exceed the budget, otherwise samples are grouped.
        """
        k = max(k, 1)
        lc = max(1, min(l_, budget // k))
        if lc < l_ or l_ == 0:
            return 1, 1, lc
        return max(1, min(n, budget // max(l_ * k, 1))), 1, lc

    @staticmethod
    def forward(ctx: Any, cols: Tensor, w: Tensor, alpha: Tensor, budget: int) -> Tensor:
        n, l_, k = cols.shape
        o = w.shape[0]
        nc, oc, lc = _WeightedL1._chunks(n, o, k, l_, budget)
        out = cols.new_empty(n, o, l_)
        a_col = alpha[:, :, None]  # (O, K, 1)
        for n0 in range(0, n, nc):
            for l0 in range(0, l_, lc):
                c = cols[n0 : n0 + nc, None, l0 : l0 + lc]  # (nc, 1, lc, K)
                for o0 in range(0, o, oc):
                    diff = (c - w[o0 : o0 + oc, None, :]).abs_()  # (nc, oc, lc, K)
                    dist = torch.matmul(diff, a_col[o0 : o0 + oc]).squeeze(-1)
                    out[n0 : n0 + nc, o0 : o0 + oc, l0 : l0 + lc] = dist.neg_()
        ctx.save_for_backward(cols, w, alpha)
        ctx.budget = budget
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, ...]:
        cols, w, alpha = ctx.saved_tensors
        n, l_, k = cols.shape
        o = w.shape[0]
        nc, oc, lc = _WeightedL1._chunks(n, o, k, l_, ctx.budget)
        need_cols, need_w, need_alpha, _ = ctx.needs_input_grad
        g_cols = torch.zeros_like(cols) if need_cols else None
        g_w = torch.zeros_like(w) if need_w else None
        g_alpha = torch.zeros_like(alpha) if need_alpha else None
        for n0 in range(0, n, nc):
            for l0 in range(0, l_, lc):
                c = cols[n0 : n0 + nc, None, l0 : l0 + lc]
                for o0 in range(0, o, oc):
                    diff = c - w[o0 : o0 + oc, None, :]  # (nc, oc, lc, K)
                    g = grad[n0 : n0 + nc, o0 : o0 + oc, l0 : l0 + lc]  # (nc, oc, lc)
                    if g_alpha is not None:
                        # sum_{n,l} g |diff| as a batched (1 × lc) @ (lc × K) product.
                        part = torch.matmul(g.unsqueeze(2), diff.abs()).squeeze(2)
                        g_alpha[o0 : o0 + oc] -= part.sum(0)
                    if g_cols is None and g_w is None:
                        continue
                    # d out/d cols = -alpha sign(diff), d out/d w = +alpha sign(diff), times g.
                    t = diff.sign_().mul_(alpha[None, o0 : o0 + oc, None, :])  # alpha sign
                    if g_w is not None:
                        # sum_{n,l} g alpha sign as a batched (1 × lc) @ (lc × K) product.
                        g_w[o0 : o0 + oc] += torch.matmul(g.unsqueeze(2), t).squeeze(2).sum(0)
                    if g_cols is not None:
                        target = g_cols[n0 : n0 + nc, None, l0 : l0 + lc]  # (nc, 1, lc, K)
                        if oc == 1:  # the default chunking: accumulate in place, no temporary
                            target.addcmul_(t, g.unsqueeze(-1), value=-1.0)
                        else:
                            target -= (t * g.unsqueeze(-1)).sum(1, keepdim=True)
        return g_cols, g_w, g_alpha, None


def weighted_l1_conv2d(
    x: Tensor,
    weight: Tensor,
    alpha: Tensor,
    *,
    stride: IntPair = 1,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    max_chunk_elements: int = 1 << 18,
) -> Tensor:
    """Negated weighted L1 distance between every patch and every template.

    ``out[n, j, p] = -sum_i alpha[j, i] |patch_p(x[n])_i - weight[j, i]|``. Memory beyond the
    patch matrix is bounded by ``max_chunk_elements`` temporaries in forward and backward.

    Args:
        x: ``(N, C, H, W)``.
        weight: templates ``(O, C, kh, kw)``.
        alpha: non-negative element weights, same shape as ``weight``.
        stride, padding, dilation: as in ``F.conv2d`` (zero padding of the input).
        max_chunk_elements: largest number of elements of one ``patch - template`` chunk
            (at least one patch × one template is always processed). The default, 2^18
            (1 MiB in float32), keeps a chunk near a CPU core's L2 cache; much larger chunks
            are slower, not faster.

    Returns:
        ``(N, O, H_out, W_out)``.
    """
    _check_templates("weighted_l1_conv2d", x, weight, alpha)
    check_int("max_chunk_elements", max_chunk_elements)
    kh, kw = weight.shape[-2:]
    st, pad, dil, h_out, w_out = _geometry(
        "weighted_l1_conv2d", x, weight, stride, padding, dilation
    )
    cols = F.unfold(x, (kh, kw), dilation=dil, padding=pad, stride=st).transpose(1, 2)
    o = weight.shape[0]
    out = _WeightedL1.apply(cols, weight.reshape(o, -1), alpha.reshape(o, -1), max_chunk_elements)
    return out.view(x.shape[0], o, h_out, w_out)


class _TemplateConv2d(nn.Module):
    """Shared plumbing: templates shaped like a ``Conv2d`` weight, geometry, optional bias."""

    weight: nn.Parameter
    bias: nn.Parameter | None

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair,
        *,
        stride: IntPair,
        padding: IntPair,
        dilation: IntPair,
        bias: bool,
        device: torch.device | str | None,
        dtype: torch.dtype | None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels)
        self.out_channels = check_int("out_channels", out_channels)
        self.kernel_size = _pair_arg("kernel_size", kernel_size, 1)
        self.stride = _pair_arg("stride", stride, 1)
        self.padding = _pair_arg("padding", padding, 0)
        self.dilation = _pair_arg("dilation", dilation, 1)
        kw = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(
            torch.empty(out_channels, in_channels, *self.kernel_size, **kw)  # type: ignore[arg-type]
        )
        self.bias = (
            nn.Parameter(torch.empty(out_channels, **kw))  # type: ignore[arg-type]
            if bias
            else None
        )

    @property
    def _geometry(self) -> dict[str, tuple[int, int]]:
        return {"stride": self.stride, "padding": self.padding, "dilation": self.dilation}

    def _check(self, x: Tensor) -> None:
        check_input(type(self).__name__, x, dtype=module_dtype(self))
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"{type(self).__name__} expects input (batch, {self.in_channels}, height, width); "
                f"got shape {tuple(x.shape)}"
            )

    def _add_bias(self, out: Tensor) -> Tensor:
        return out if self.bias is None else out + self.bias.view(1, -1, 1, 1)

    def _geometry_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}, "
            f"bias={self.bias is not None}"
        )


class _DistanceConv2d(_TemplateConv2d):
    """Weighted-distance convolutions: templates ``weight`` and element weights ``softplus(rho)/ln 2``."""

    def __init__(self, *args: Any, template_std: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        check_real("template_std", template_std, low=0.0)
        self.template_std = float(template_std)
        self.rho = nn.Parameter(torch.empty_like(self.weight))
        self.reset_parameters()

    @property
    def alpha(self) -> Tensor:
        """The non-negative element weights, ``softplus(rho) / ln 2`` (1 at ``rho = 0``)."""
        return _positive(self.rho)

    def reset_parameters(self) -> None:
        """Templates ~ N(0, template_std²), alpha = 1, bias = 0.

        Use :func:`init_templates_from_data` for data-dependent templates.
        """
        nn.init.normal_(self.weight, 0.0, self.template_std)
        nn.init.zeros_(self.rho)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def extra_repr(self) -> str:
        return self._geometry_repr()


class WeightedL2Conv2d(_DistanceConv2d):
    """Convolution with the negated weighted squared L2 distance as the similarity.

    ``out[n, j] = -sum_i alpha_{j,i} (x_i - w_{j,i})^2 (+ b_j)`` over each patch ``x``, with
    ``alpha = softplus(rho) / ln 2 >= 0``; three ordinary convolutions, no unfold.

    Args:
        in_channels: input channels ``C``.
        out_channels: number of templates ``O``.
        kernel_size, stride, padding, dilation: as in ``nn.Conv2d`` (zero padding).
        bias: add a learned per-channel offset.
        template_std: standard deviation of the Gaussian template initialisation.
        device: device of the parameters.
        dtype: dtype of the parameters.

    Shape:
        - Input: ``(N, C, H, W)``.
        - Output: ``(N, O, H_out, W_out)`` as for ``nn.Conv2d``.

    Example:
        >>> layer = WeightedL2Conv2d(1, 8, 3, padding=1)
        >>> layer(torch.randn(2, 1, 8, 8)).shape
        torch.Size([2, 8, 8, 8])
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair,
        *,
        stride: IntPair = 1,
        padding: IntPair = 0,
        dilation: IntPair = 1,
        bias: bool = False,
        template_std: float = 0.1,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            bias=bias,
            template_std=template_std,
            device=device,
            dtype=dtype,
        )

    def forward(self, x: Tensor) -> Tensor:
        """Score every patch of ``x`` against every template; ``(N, C, H, W) -> (N, O, H', W')``."""
        self._check(x)
        return self._add_bias(weighted_l2_conv2d(x, self.weight, self.alpha, **self._geometry))


class WeightedL1Conv2d(_DistanceConv2d):
    """Convolution with the negated weighted L1 distance as the similarity.

    ``out[n, j] = -sum_i alpha_{j,i} |x_i - w_{j,i}| (+ b_j)`` over each patch ``x``, with
    ``alpha = softplus(rho) / ln 2 >= 0``. Computed on the unfolded patches in chunks of at most
    ``max_chunk_elements`` elements (see :func:`weighted_l1_conv2d`); several times slower than
    :class:`WeightedL2Conv2d`.

    Args:
        in_channels: input channels ``C``.
        out_channels: number of templates ``O``.
        kernel_size, stride, padding, dilation: as in ``nn.Conv2d`` (zero padding).
        bias: add a learned per-channel offset.
        template_std: standard deviation of the Gaussian template initialisation.
        max_chunk_elements: memory bound of one chunk of ``patch - template`` differences.
        device: device of the parameters.
        dtype: dtype of the parameters.

    Shape:
        - Input: ``(N, C, H, W)``.
        - Output: ``(N, O, H_out, W_out)`` as for ``nn.Conv2d``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair,
        *,
        stride: IntPair = 1,
        padding: IntPair = 0,
        dilation: IntPair = 1,
        bias: bool = False,
        template_std: float = 0.1,
        max_chunk_elements: int = 1 << 18,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        chunk = check_int("max_chunk_elements", max_chunk_elements)
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            bias=bias,
            template_std=template_std,
            device=device,
            dtype=dtype,
        )
        self.max_chunk_elements = chunk

    def forward(self, x: Tensor) -> Tensor:
        """Score every patch of ``x`` against every template; ``(N, C, H, W) -> (N, O, H', W')``."""
        self._check(x)
        out = weighted_l1_conv2d(
            x,
            self.weight,
            self.alpha,
            max_chunk_elements=self.max_chunk_elements,
            **self._geometry,
        )
        return self._add_bias(out)

    def extra_repr(self) -> str:
        return f"{self._geometry_repr()}, max_chunk_elements={self.max_chunk_elements}"


class KernelConv2d(_TemplateConv2d):
    """Convolution whose patch-filter similarity is a positive-definite kernel.

    * ``kernel="polynomial"``: ``(<w_j, x> + c)^degree`` with a fixed offset ``c >= 0`` and an
      integer ``degree >= 1`` (degree 1 is an ordinary convolution plus ``c``).
    * ``kernel="gaussian"``: ``exp(-gamma_j ||x - w_j||^2)`` with a learned per-filter
      ``gamma_j = softplus(gamma_raw_j) > 0``, initialised to ``gamma``; the squared distance
      uses the three-convolution expansion.

    Args:
        in_channels: input channels ``C``.
        out_channels: number of filters ``O``.
        kernel_size, stride, padding, dilation: as in ``nn.Conv2d`` (zero padding).
        kernel: ``"polynomial"`` or ``"gaussian"``.
        degree: polynomial degree.
        c: polynomial offset.
        gamma: initial Gaussian bandwidth parameter (> 0), one learned value per filter.
        bias: add a learned per-channel offset after the kernel.
        device: device of the parameters.
        dtype: dtype of the parameters.

    Shape:
        - Input: ``(N, C, H, W)``.
        - Output: ``(N, O, H_out, W_out)`` as for ``nn.Conv2d``.
    """

    gamma_raw: nn.Parameter | None

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair,
        *,
        stride: IntPair = 1,
        padding: IntPair = 0,
        dilation: IntPair = 1,
        kernel: Literal["polynomial", "gaussian"] = "polynomial",
        degree: int = 2,
        c: float = 1.0,
        gamma: float = 0.1,
        bias: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            bias=bias,
            device=device,
            dtype=dtype,
        )
        if kernel not in ("polynomial", "gaussian"):
            raise UnknownNameError("kernel", kernel, ("polynomial", "gaussian"))
        self.kernel = kernel
        self.degree = check_int("degree", degree)
        check_real("c", c, low=0.0)
        check_positive("gamma", gamma)
        self.c = float(c)
        self.gamma_init = float(gamma)
        if kernel == "gaussian":
            self.gamma_raw = nn.Parameter(torch.empty(out_channels, device=device, dtype=dtype))
        else:
            self.gamma_raw = None
        self.reset_parameters()

    @property
    def gamma(self) -> Tensor | None:
        """The per-filter Gaussian bandwidths (``None`` for the polynomial kernel)."""
        return None if self.gamma_raw is None else F.softplus(self.gamma_raw)

    def reset_parameters(self) -> None:
        """Filters as ``nn.Conv2d`` (Kaiming-uniform, a=sqrt(5)), gamma at its initial value."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        if self.gamma_raw is not None:
            # softplus^{-1}(gamma) = log(expm1(gamma)).
            nn.init.constant_(self.gamma_raw, math.log(math.expm1(self.gamma_init)))

    def forward(self, x: Tensor) -> Tensor:
        """Apply the kernel to every (patch, filter) pair; ``(N, C, H, W) -> (N, O, H', W')``."""
        self._check(x)
        if self.kernel == "polynomial":
            lin = F.conv2d(x, self.weight, None, self.stride, self.padding, self.dilation)
            out = (lin + self.c).pow(self.degree)
        else:
            ones = torch.ones_like(self.weight)
            sq = -weighted_l2_conv2d(x, self.weight, ones, **self._geometry)
            gamma = self.gamma
            assert gamma is not None
            out = torch.exp(-gamma.view(1, -1, 1, 1) * sq.clamp_min(0.0))
        return self._add_bias(out)

    def extra_repr(self) -> str:
        params = (
            f"degree={self.degree}, c={self.c:g}"
            if self.kernel == "polynomial"
            else (f"gamma_init={self.gamma_init:g}")
        )
        return f"{self._geometry_repr()}, kernel={self.kernel}, {params}"


@torch.no_grad()
def init_templates_from_data(
    model: nn.Module, x: Tensor, *, generator: torch.Generator | None = None
) -> nn.Module:
    """Set every distance convolution's templates to random patches of its own input.

    One forward pass of ``x`` through ``model``: just before each
    :class:`WeightedL2Conv2d` / :class:`WeightedL1Conv2d` runs, its templates are overwritten
    by ``out_channels`` patches drawn uniformly (with replacement) from the unfolded input it
    receives, so later layers see the outputs of already-initialised earlier layers. Element
    weights, biases and all other layers are left untouched. The model's train/eval mode is
    kept; run it in eval mode if BatchNorm statistics must not move.

    Args:
        model: any model containing distance convolutions (or one such layer).
        x: a representative input batch for ``model``.
        generator: random generator for the patch choice (the global one if ``None``).

    Returns:
        ``model``.

    Raises:
        ValueError: if ``model`` contains no distance convolution.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module; got {type(model).__name__}")
    if not isinstance(x, Tensor) or x.numel() == 0:
        got = f"shape {tuple(x.shape)}" if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"x must be a non-empty tensor (patches are drawn from it); got {got}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None; got {generator!r}")
    layers = [m for m in model.modules() if isinstance(m, _DistanceConv2d)]
    if not layers:
        raise ValueError(
            "model contains no WeightedL1Conv2d or WeightedL2Conv2d layer to initialise"
        )

    def hook(module: nn.Module, args: tuple[Any, ...]) -> None:
        assert isinstance(module, _DistanceConv2d)
        inp = args[0]
        cols = F.unfold(inp, module.kernel_size, **module._geometry)  # (N, K, L)
        patches = cols.transpose(1, 2).reshape(-1, cols.shape[1])
        idx = torch.randint(
            0, patches.shape[0], (module.out_channels,), generator=generator, device="cpu"
        ).to(patches.device)
        module.weight.copy_(patches[idx].view_as(module.weight))

    handles = [layer.register_forward_pre_hook(hook) for layer in layers]
    try:
        model(x)
    finally:
        for handle in handles:
            handle.remove()
    return model
