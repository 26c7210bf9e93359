"""EvoNorm normalization-activation layers.

Paper: "Evolving Normalization-Activation Layers", Hanxiao Liu, Andrew Brock, Karen Simonyan,
Quoc V. Le (NeurIPS 2020), arXiv 2004.02967.

The paper searches over computation graphs that fuse a normalization and an activation into
one layer, and finds two that replace ``BatchNorm2d + ReLU``:

* **EvoNorm-B0** (batch-dependent)::

      y = x / max(sqrt(var_{N,H,W}(x) + eps), v * x + sqrt(var_{H,W}(x) + eps)) * gamma + beta

  ``var_{N,H,W}`` is the per-channel variance over batch and space (a running average of it is
  used in eval mode), ``var_{H,W}`` the per-sample, per-channel (instance) variance; the max is
  elementwise and no mean is subtracted.
* **EvoNorm-S0** (batch-independent)::

      y = x * sigmoid(v * x) / sqrt(var_{C/g,H,W}(x) + eps) * gamma + beta

  with the variance taken per sample over each group of ``C/g`` channels and space.

Where the network had a BatchNorm *without* a following ReLU (the last norm of a residual
branch), both layers reduce to the affine ``x * gamma + beta`` (``nonlinearity=False``).
:func:`convert_bn_relu_to_evonorm` performs that replacement on any model built from
``nn.Sequential`` containers.

Choices where the official TensorFlow code (tensorflow/tpu ``resnet_model.py``) and timm
(``timm/layers/evo_norm.py``) differ; we follow the official code throughout:

* ``eps = 1e-5`` for both layers (timm's ``EvoNorm2dB0`` defaults to 1e-3).
* Running variance: the biased batch variance (divide by ``N*H*W``), averaged as
  ``running_var <- (1 - momentum) * running_var + momentum * batch_var`` with
  ``momentum = 0.1`` (the official decay 0.9); initialised to 1. timm multiplies the batch
  variance by ``n / (n - 1)`` (Bessel) before averaging.
* S0 groups: ``groups`` is an upper bound; the layer uses the largest ``g <= groups`` that divides
  the channel count (official rule; timm asserts divisibility instead).
* Statistics are computed in the input dtype (timm upcasts to float32).

All variances are biased (population) variances, as in both implementations. Inputs are
``(batch, channels, *spatial)`` with at least one spatial dimension (channels-first, the layout
whose mismatch caused bugs in several third-party ports).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import torch
from torch import Tensor, nn

from nnatlas.core.errors import UnknownNameError
from nnatlas.core.validation import check_int, check_positive
from nnatlas.nn._checks import check_factory_dtype, check_input, module_dtype

__all__ = [
    "EvoNormB0",
    "EvoNormS0",
    "convert_bn_relu_to_evonorm",
    "evonorm_groups",
]


def evonorm_groups(num_channels: int, max_groups: int = 32) -> int:
    """The official S0 group count: the largest ``g <= max_groups`` that divides ``num_channels``.

    Args:
        num_channels: channel count ``C`` (>= 1).
        max_groups: upper bound on the number of groups (the paper's default 32).

    Returns:
        ``g`` with ``num_channels % g == 0`` (1 in the worst case).

    Example:
        >>> evonorm_groups(64), evonorm_groups(24), evonorm_groups(7)
        (32, 24, 7)
    """
    check_int("num_channels", num_channels)
    check_int("max_groups", max_groups)
    g = min(max_groups, num_channels)
    while num_channels % g:
        g -= 1
    return g


def _check_eps(eps: float) -> float:
    return check_positive("eps", eps)


def _check_input(layer: EvoNormB0 | EvoNormS0, x: Tensor) -> None:
    name, channels = type(layer).__name__, layer.num_features
    check_input(name, x, dtype=module_dtype(layer), nonempty=True)
    if x.ndim < 3 or x.shape[1] != channels:
        raise ValueError(
            f"{name} expects input x of shape (batch, {channels}, *spatial) with at least one "
            f"spatial dimension; got shape {tuple(x.shape)}"
        )


def _mean_var(x: Tensor, dims: int) -> tuple[Tensor, Tensor]:
    """Mean and biased variance over the last ``dims`` dims of ``x``, by two passes (kept dims).

    Several times faster on CPU than ``Tensor.var`` (a Welford reduction) and as accurate: the
    variance sums squares of centred values.
    """
    red = tuple(range(x.ndim - dims, x.ndim))
    mean = x.mean(dim=red, keepdim=True)
    return mean, (x - mean).square_().mean(dim=red, keepdim=True)


def _rowdot(a: Tensor, b: Tensor) -> Tensor:
    """``(a * b).sum(-1)`` as batched dot products (no full-size temporary): ``a.shape[:-1]``."""
    return torch.matmul(a.unsqueeze(-2), b.unsqueeze(-1)).view(a.shape[:-1])


class _B0Function(torch.autograd.Function):
    """Fused EvoNorm-B0 on ``x (N, C, S)``: forward and a hand-written backward.

    ``den = max(left, v x + sd)`` with ``sd = sqrt(var_S + eps)`` per (sample, channel) and
    ``left = sqrt(batch_var + eps)`` per channel (the batch variance from the instance statistics
    by the law of total variance in training, the running variance ``rv`` otherwise);
    ``y = x / den * gamma + beta``. Ties ``v x + sd == left`` take the ``left`` branch
    (autograd's ``maximum`` splits the gradient there; ties have measure zero).
    Returns ``(y, batch_var)``; ``batch_var`` carries no gradient.
    """

    @staticmethod
    def forward(
        ctx: Any, x: Tensor, v: Tensor, gamma: Tensor, beta: Tensor, rv: Tensor | None, eps: float
    ) -> tuple[Tensor, Tensor]:
        im, iv = _mean_var(x, 1)  # (N, C, 1)
        if rv is None:
            bm = im.mean(0, keepdim=True)
            bv = iv.mean(0, keepdim=True) + (im - bm).square().mean(0, keepdim=True)
        else:
            bm, bv = im.mean(0, keepdim=True), rv.view(1, -1, 1)
        sd = iv.add(eps).sqrt_()
        left = bv.add(eps).sqrt_()
        inv = torch.addcmul(sd, v.view(1, -1, 1), x)
        torch.maximum(inv, left, out=inv)
        inv.reciprocal_()  # 1 / den
        y = torch.addcmul(beta.view(1, -1, 1), x * inv, gamma.view(1, -1, 1))
        ctx.save_for_backward(x, inv, v, gamma, im, bm, sd, left)
        ctx.batch = rv is None
        bv_out = bv.reshape(-1).clone()
        ctx.mark_non_differentiable(bv_out)
        return y, bv_out

    @staticmethod
    def backward(ctx: Any, g: Tensor, _: Tensor | None) -> tuple[Tensor | None, ...]:
        x, inv, v, gamma, im, bm, sd, left = ctx.saved_tensors
        n, _c, s = x.shape
        # Fresh full-size temporaries cost more than the arithmetic (page faults: an
        # out-of-place product ~3× an in-place one, torch.profiler), so only z and q are
        # allocated; sums of products are batched dot products (no temporary).
        z = x * inv
        g_gamma = _rowdot(g, z).sum(0)
        g_beta = g.sum(-1).sum(0)
        q = g * gamma.view(1, -1, 1)
        q.mul_(inv)  # d y / d x through x / den at fixed den
        t = z.mul_(q)  # -(d y / d den) = g gamma x / den^2
        t_sum = t.sum(-1, keepdim=True) if ctx.batch else None
        t.mul_(inv < left.reciprocal())  # keep the den = v x + sd (right) branch only
        g_sd = t.sum(-1, keepdim=True).neg_()  # (N, C, 1)
        g_v = _rowdot(t, x).sum(0).neg_()
        # x also enters den through v x (right branch) and both variances:
        # d var_S / d x = 2 (x - im) / S, d batch_var / d x = 2 (x - bm) / (N S).
        a = g_sd / (sd * s)
        shift = a * im
        if t_sum is not None:
            g_left = (t_sum + g_sd).sum(0, keepdim=True).neg_()  # left-branch sum, (1, C, 1)
            c = g_left / (left * (n * s))
            a = a + c
            shift = shift + c * bm
        gx = q.sub_(t.mul_(v.view(1, -1, 1)))
        gx.addcmul_(x, a).sub_(shift)
        return gx, g_v, g_gamma, g_beta, None, None


class _S0Function(torch.autograd.Function):
    """Fused EvoNorm-S0 on ``x (N, G, M)`` (groups of channels × space, ``M = C/G * S``).

    ``y = x sigmoid(v x) / sqrt(var_M(x) + eps) * gamma + beta`` with ``v, gamma, beta`` given
    per element of a group row, shaped ``(1, G, C/G, 1)`` against ``x`` viewed ``(N, G, C/G, S)``.
    """

    @staticmethod
    def forward(ctx: Any, x: Tensor, v: Tensor, gamma: Tensor, beta: Tensor, eps: float) -> Tensor:
        # x: (N, G, Cg, S); v, gamma, beta: (1, G, Cg, 1)
        gm, gv = _mean_var(x, 2)  # (N, G, 1, 1)
        rstd = gv.add_(eps).rsqrt_()
        sig = torch.sigmoid(v * x)
        z = sig.mul(x).mul_(rstd)
        y = torch.addcmul(beta, z, gamma)
        ctx.save_for_backward(x, sig, v, gamma, gm, rstd)
        return y

    @staticmethod
    def backward(ctx: Any, g: Tensor) -> tuple[Tensor | None, ...]:
        x, sig, v, gamma, gm, rstd = ctx.saved_tensors
        m = x.shape[2] * x.shape[3]
        r3 = rstd.view(rstd.shape[0], -1, 1)  # (N, G, 1) against (N, G, Cg) row sums
        gz = g * gamma
        xs = x * sig
        g_gamma = (_rowdot(g, xs) * r3).sum(0).view_as(gamma)
        g_beta = g.sum(-1, keepdim=True).sum(0, keepdim=True)
        # Through the variance: d z / d var = -z / (2 (var + eps)) = -xs rstd^3 / 2.
        g_var = _rowdot(gz, xs).sum(-1).view_as(rstd).mul_(rstd.pow(3)).mul_(-0.5)
        # d z / d x = rstd (sig + v x sig (1 - sig)); d z / d v = rstd x^2 sig (1 - sig).
        ds = torch.sub(1.0, sig).mul_(sig)  # sigmoid'(v x)
        ds.mul_(x).mul_(gz)  # gz x sigmoid'
        g_v = (_rowdot(ds, x) * r3).sum(0).view_as(v)
        a = g_var * (2.0 / m)
        gx = gz.mul_(sig).addcmul_(ds, v).mul_(rstd)
        gx.addcmul_(x, a).sub_(a * gm)
        return gx, g_v, g_gamma, g_beta, None


class _EvoNormBase(nn.Module):
    """Shared parameters: per-channel ``gamma``, ``beta`` and (with the nonlinearity) ``v``."""

    v: nn.Parameter | None

    def __init__(
        self,
        num_features: int,
        *,
        eps: float,
        nonlinearity: bool,
        init_zero: bool,
        device: torch.device | str | None,
        dtype: torch.dtype | None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        self.num_features = check_int("num_features", num_features)
        self.eps = _check_eps(eps)
        self.nonlinearity = bool(nonlinearity)
        self.init_zero = bool(init_zero)
        kw = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(num_features, **kw))  # type: ignore[arg-type]
        self.bias = nn.Parameter(torch.empty(num_features, **kw))  # type: ignore[arg-type]
        # Without the nonlinearity v would never be used, so it is not created at all.
        self.v = (
            nn.Parameter(torch.empty(num_features, **kw))  # type: ignore[arg-type]
            if self.nonlinearity
            else None
        )

    def reset_parameters(self) -> None:
        """gamma = 1 (0 with ``init_zero``), beta = 0, v = 1, as in the official code."""
        nn.init.constant_(self.weight, 0.0 if self.init_zero else 1.0)
        nn.init.zeros_(self.bias)
        if self.v is not None:
            nn.init.ones_(self.v)

    def _shape(self, t: Tensor, ndim: int) -> Tensor:
        return t.view(1, -1, *([1] * (ndim - 2)))

    def _affine(self, y: Tensor) -> Tensor:
        return y * self._shape(self.weight, y.ndim) + self._shape(self.bias, y.ndim)


class EvoNormB0(_EvoNormBase):
    """EvoNorm-B0: batch-dependent normalization-activation (replaces ``BatchNorm2d + ReLU``).

    ``y = x / max(sqrt(var_{N,*}(x) + eps), v x + sqrt(var_{*}(x) + eps)) * gamma + beta``
    where ``*`` stands for the spatial dimensions. In training mode the batch variance is used
    and the running variance updated; in eval mode the running variance is used.

    Args:
        num_features: number of channels ``C``.
        eps: added to every variance (official 1e-5).
        momentum: weight of the new batch variance in the running average (official 0.1,
            i.e. decay 0.9).
        nonlinearity: ``False`` gives the affine-only variant ``x * gamma + beta`` used where
            the original BatchNorm had no ReLU after it (no ``v``, no running variance).
        init_zero: initialise ``gamma`` to 0 (for the last norm of a residual branch).
        device: device of parameters and buffers.
        dtype: dtype of parameters and buffers.
        fused: use the fused autograd function (two-pass statistics, hand-written backward:
            several times faster on CPU, equal to rounding); ``False`` runs the composite
            reference, which also supports double backward.

    Shape:
        - Input: ``(batch, C, *spatial)``, at least one spatial dimension.
        - Output: same shape.

    Example:
        >>> layer = EvoNormB0(16)
        >>> layer(torch.randn(8, 16, 5, 5)).shape
        torch.Size([8, 16, 5, 5])
    """

    running_var: Tensor | None

    def __init__(
        self,
        num_features: int,
        *,
        eps: float = 1e-5,
        momentum: float = 0.1,
        nonlinearity: bool = True,
        init_zero: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        fused: bool = True,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__(
            num_features,
            eps=eps,
            nonlinearity=nonlinearity,
            init_zero=init_zero,
            device=device,
            dtype=dtype,
        )
        if not isinstance(fused, bool):
            raise TypeError(f"fused must be a bool; got {fused!r}")
        self.fused = fused
        if isinstance(momentum, bool) or not isinstance(momentum, int | float):
            raise TypeError(f"momentum must be a float in [0, 1]; got {momentum!r}")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be a float in [0, 1]; got {momentum!r}")
        self.momentum = float(momentum)
        if self.nonlinearity:
            self.register_buffer(
                "running_var", torch.ones(num_features, device=device, dtype=dtype)
            )
        else:
            self.running_var = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Reset gamma, beta, v and the running variance (to 1)."""
        super().reset_parameters()
        if self.running_var is not None:
            self.running_var.fill_(1.0)

    def forward(self, x: Tensor) -> Tensor:
        """Normalize and activate.

        Args:
            x: ``(batch, C, *spatial)``.

        Returns:
            ``(batch, C, *spatial)``.
        """
        _check_input(self, x)
        if not self.nonlinearity:
            return self._affine(x)
        assert self.v is not None and self.running_var is not None
        if self.fused:
            flat = x.reshape(x.shape[0], x.shape[1], -1)
            rv = None if self.training else self.running_var
            y, batch_var = _B0Function.apply(flat, self.v, self.weight, self.bias, rv, self.eps)
            if self.training:
                with torch.no_grad():
                    self.running_var.lerp_(batch_var, self.momentum)
            return y.view_as(x)
        spatial = tuple(range(2, x.ndim))
        if self.training:
            batch_var = x.var(dim=(0, *spatial), unbiased=False)
            with torch.no_grad():
                self.running_var.lerp_(batch_var.detach(), self.momentum)
        else:
            batch_var = self.running_var
        instance_var = x.var(dim=spatial, unbiased=False, keepdim=True)
        left = self._shape(batch_var, x.ndim).add(self.eps).sqrt()
        right = self._shape(self.v, x.ndim) * x + instance_var.add(self.eps).sqrt()
        return self._affine(x / torch.maximum(left, right))

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps:g}, momentum={self.momentum:g}, "
            f"nonlinearity={self.nonlinearity}, init_zero={self.init_zero}"
        )


class EvoNormS0(_EvoNormBase):
    """EvoNorm-S0: batch-independent normalization-activation.

    ``y = x * sigmoid(v x) / sqrt(var_{C/g,*}(x) + eps) * gamma + beta`` with the variance taken
    per sample over each group of ``C/g`` channels and all spatial positions. The output of a
    sample does not depend on the rest of the batch, and train and eval modes compute the same.

    Args:
        num_features: number of channels ``C``.
        groups: upper bound on the number of groups; the layer uses the largest ``g <= groups``
            dividing ``C`` (see :func:`evonorm_groups`), stored as ``self.groups``.
        eps: added to the group variance (official 1e-5).
        nonlinearity: ``False`` gives the affine-only variant ``x * gamma + beta``.
        init_zero: initialise ``gamma`` to 0.
        device: device of the parameters.
        dtype: dtype of the parameters.
        fused: use the fused autograd function (two-pass statistics, hand-written backward:
            several times faster on CPU, equal to rounding); ``False`` runs the composite
            reference, which also supports double backward.

    Shape:
        - Input: ``(batch, C, *spatial)``, at least one spatial dimension.
        - Output: same shape.

    Example:
        >>> EvoNormS0(48).groups  # 32 does not divide 48; 24 is the largest that does
        24
    """

    def __init__(
        self,
        num_features: int,
        *,
        groups: int = 32,
        eps: float = 1e-5,
        nonlinearity: bool = True,
        init_zero: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        fused: bool = True,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__(
            num_features,
            eps=eps,
            nonlinearity=nonlinearity,
            init_zero=init_zero,
            device=device,
            dtype=dtype,
        )
        if not isinstance(fused, bool):
            raise TypeError(f"fused must be a bool; got {fused!r}")
        self.fused = fused
        self.max_groups = check_int("groups", groups)
        self.groups = evonorm_groups(self.num_features, self.max_groups)
        self.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        """Normalize and activate.

        Args:
            x: ``(batch, C, *spatial)``.

        Returns:
            ``(batch, C, *spatial)``.
        """
        _check_input(self, x)
        if not self.nonlinearity:
            return self._affine(x)
        assert self.v is not None
        if self.fused:
            g = self.groups
            shaped = x.reshape(x.shape[0], g, self.num_features // g, -1)
            per = (1, g, self.num_features // g, 1)
            y = _S0Function.apply(
                shaped, self.v.view(per), self.weight.view(per), self.bias.view(per), self.eps
            )
            return y.view_as(x)
        grouped = x.reshape(x.shape[0], self.groups, -1)
        std = grouped.var(dim=2, unbiased=False, keepdim=True).add(self.eps).sqrt()
        denom = std.expand(-1, -1, grouped.shape[2]).reshape(x.shape)
        numer = x * torch.sigmoid(self._shape(self.v, x.ndim) * x)
        return self._affine(numer / denom)

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, groups={self.groups}, eps={self.eps:g}, "
            f"nonlinearity={self.nonlinearity}, init_zero={self.init_zero}"
        )


_KINDS: dict[str, type[_EvoNormBase]] = {"B0": EvoNormB0, "S0": EvoNormS0}


def convert_bn_relu_to_evonorm(
    model: nn.Module,
    kind: Literal["B0", "S0"] = "S0",
    *,
    groups: int = 32,
    eps: float = 1e-5,
    replace_lone_bn: bool = True,
) -> nn.Module:
    """Replace every ``BatchNorm2d -> ReLU`` pair of a model by one EvoNorm layer, in place.

    Pairs are found inside ``nn.Sequential`` containers (at any depth): a ``BatchNorm2d``
    immediately followed by an ``nn.ReLU`` becomes an EvoNorm layer (the ReLU an
    ``nn.Identity``, so indices are kept). With ``replace_lone_bn``, a ``BatchNorm2d`` not followed
    by a ReLU becomes the affine-only variant (``nonlinearity=False``), as the paper does for the
    last norm of each residual branch. A ReLU applied outside a Sequential (e.g. after a residual
    addition) is left alone: it is not part of a norm-activation pair. BatchNorms held as plain
    attributes and activated in a custom ``forward`` cannot be paired and are left as they are
    (check ``model.modules()`` for remaining ``BatchNorm2d`` if that matters).

    The new layers are created on the BatchNorm's device and dtype, freshly initialised (the
    BatchNorm's statistics and affine parameters do not carry over: the layers compute
    different functions).

    Args:
        model: any module; modified in place.
        kind: ``"B0"`` or ``"S0"``.
        groups: S0's upper bound on the group count.
        eps: the EvoNorm epsilon.
        replace_lone_bn: also replace BatchNorms that have no ReLU after them.

    Returns:
        ``model`` itself.

    Raises:
        UnknownNameError: for an unknown ``kind``.
        TypeError: if ``model`` is not an ``nn.Module``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    if kind not in _KINDS:
        raise UnknownNameError("EvoNorm kind", kind, tuple(_KINDS))
    check_int("groups", groups)
    _check_eps(eps)

    def make(bn: nn.BatchNorm2d, nonlinearity: bool) -> nn.Module:
        ref = bn.weight if bn.weight is not None else bn.running_var
        kw: dict[str, object] = {
            "eps": eps,
            "nonlinearity": nonlinearity,
            "device": None if ref is None else ref.device,
            "dtype": None if ref is None else ref.dtype,
        }
        if kind == "S0":
            kw["groups"] = groups
        build: Callable[..., nn.Module] = _KINDS[kind]
        return build(bn.num_features, **kw)

    for module in list(model.modules()):
        if not isinstance(module, nn.Sequential):
            continue
        names = list(module._modules)
        for i, name in enumerate(names):
            child = module._modules[name]
            if not isinstance(child, nn.BatchNorm2d):
                continue
            nxt = module._modules[names[i + 1]] if i + 1 < len(names) else None
            if isinstance(nxt, nn.ReLU):
                module._modules[name] = make(child, True)
                module._modules[names[i + 1]] = nn.Identity()
            elif replace_lone_bn:
                module._modules[name] = make(child, False)
    return model
