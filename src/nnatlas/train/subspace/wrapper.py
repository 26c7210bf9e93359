""":class:`SubspaceModel`: any module trained in a random affine subspace θ = θ₀ + P z.

Paper: Li, Farkhoor, Liu, Yosinski, "Measuring the Intrinsic Dimension of Objective
Landscapes", ICLR 2018, arXiv:1804.08838. See :mod:`nnatlas.train.subspace` for the method.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn
from torch.func import functional_call

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int
from nnatlas.train.subspace.factory import PROJECTION_KINDS, make_projection
from nnatlas.train.subspace.projection import Projection

__all__ = ["SubspaceModel"]


def _owner(root: nn.Module, dotted: str) -> tuple[nn.Module, str]:
    prefix, _, leaf = dotted.rpartition(".")
    return (root.get_submodule(prefix) if prefix else root), leaf


def _default_include(name: str, param: nn.Parameter) -> bool:
    del name
    return param.requires_grad


def _select_parameters(
    unique: list[tuple[str, nn.Parameter]], include: Callable[[str, nn.Parameter], bool]
) -> list[tuple[str, nn.Parameter]]:
    """The parameters to project: those ``include`` selects, all of one floating dtype/device."""
    selected = [(n, p) for n, p in unique if include(n, p)]
    if not selected:
        raise ConfigError(
            "module must have at least one parameter to project; "
            f"got {len(unique)} parameters, {len(selected)} selected by include"
        )
    kinds = {(p.dtype, p.device) for _, p in selected}
    if len(kinds) > 1:
        raise TypeError(
            "all projected parameters must share one dtype and device; got "
            + ", ".join(sorted(f"{dt}/{dev}" for dt, dev in kinds))
        )
    dtype = selected[0][1].dtype
    if not dtype.is_floating_point:
        raise TypeError(f"projected parameters must be floating point; got {dtype}")
    return selected


def _build_projection(
    projection: str | Projection,
    full_dim: int,
    subspace_dim: int,
    seed: int,
    dtype: torch.dtype,
    device: torch.device,
) -> Projection:
    """A projection of kind ``projection``, or the given one checked and moved."""
    if isinstance(projection, str):
        if projection not in PROJECTION_KINDS:
            raise ConfigError(
                f"projection must be a Projection or one of {list(PROJECTION_KINDS)}; "
                f"got {projection!r}"
            )
        return make_projection(
            projection, full_dim, subspace_dim, seed=seed, device=device, dtype=dtype
        )
    if isinstance(projection, Projection):
        if (projection.full_dim, projection.subspace_dim) != (full_dim, subspace_dim):
            raise ConfigError(
                f"projection must map subspace_dim={subspace_dim} to full_dim={full_dim}; "
                f"got one mapping {projection.subspace_dim} to {projection.full_dim}"
            )
        return projection.to(device=device, dtype=dtype)
    raise TypeError(f"projection must be a str or a Projection; got {type(projection).__name__}")


def _strip_parameters(
    inner: nn.Module, chosen: set[int]
) -> tuple[list[tuple[tuple[str, ...], torch.Size, bool]], list[tuple[tuple[str, ...], bool]]]:
    """Replace every parameter of ``inner`` by a buffer, in place.

    Projected parameters (ids in ``chosen``) become empty non-persistent placeholders
    (``functional_call`` swaps θ in at call time); the others become persistent buffers at their
    initial value. Tied parameters keep all their names.

    Returns:
        ``(projected, frozen)``: ``(names, shape, requires_grad)`` per projected parameter and
        ``(names, requires_grad)`` per frozen one, in ``named_parameters()`` order.
    """
    names_of: dict[int, list[str]] = {}
    for name, param in inner.named_parameters(remove_duplicate=False):
        names_of.setdefault(id(param), []).append(name)
    projected: list[tuple[tuple[str, ...], torch.Size, bool]] = []
    frozen: list[tuple[tuple[str, ...], bool]] = []
    for _, param in list(inner.named_parameters()):
        names = tuple(names_of[id(param)])
        if id(param) in chosen:
            projected.append((names, param.shape, param.requires_grad))
            buf = torch.empty(0, dtype=param.dtype, device=param.device)
            persistent = False
        else:
            frozen.append((names, param.requires_grad))
            buf = param.detach().clone()
            persistent = True
        for name in names:
            owner, leaf = _owner(inner, name)
            delattr(owner, leaf)
            owner.register_buffer(leaf, buf, persistent=persistent)
    return projected, frozen


class SubspaceModel(nn.Module):
    """Train any module in a random affine subspace: θ = θ₀ + P z.

    A deep copy of ``module`` is kept with its parameters removed: those selected by
    ``include`` are concatenated (in ``named_parameters()`` order) into the frozen flat
    buffer ``theta0`` of length D, the others become frozen buffers at their initial value.
    The only trainable parameter is ``z`` (zeros, shape ``(d,)``). Each call computes
    θ = θ₀ + P z, cuts it into the parameter shapes and runs the module through
    ``torch.func.functional_call``, so buffers (BatchNorm running statistics) update as
    usual and ``train()`` / ``eval()`` pass through. Tied parameters stay tied.

    ``state_dict()`` holds ``z``, ``theta0``, the module's buffers and the projection's seed
    (not P, which is regenerated), so it round-trips into a fresh instance.

    Args:
        module: any ``nn.Module``; it is copied, not modified.
        subspace_dim: d, with 1 ≤ d ≤ D (d = D for the identity projection).
        projection: a kind for :func:`make_projection` (``"dense"``, ``"sparse"``,
            ``"fastfood"``, ``"identity"``) or a :class:`Projection` with ``full_dim`` D and
            ``subspace_dim`` d (it is moved to the parameters' device and dtype).
        seed: seed of P when ``projection`` is a kind.
        include: ``include(name, param) -> bool`` selects the projected parameters; default
            all parameters with ``requires_grad``. The rest stay frozen at their initial value.

    Attributes:
        full_dim: D, number of projected parameters.
        subspace_dim: d.
        z: the trainable ``(d,)`` parameter.
        theta0: the frozen ``(D,)`` initial parameters.
    """

    theta0: Tensor

    def __init__(
        self,
        module: nn.Module,
        subspace_dim: int,
        *,
        projection: str | Projection = "dense",
        seed: int = 0,
        include: Callable[[str, nn.Parameter], bool] | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(module, nn.Module):
            raise TypeError(f"module must be a torch.nn.Module; got {type(module).__name__}")
        inner = copy.deepcopy(module)
        unique = list(inner.named_parameters())
        selected = _select_parameters(unique, include or _default_include)
        dtype, device = selected[0][1].dtype, selected[0][1].device
        theta0 = torch.cat([p.detach().reshape(-1) for _, p in selected]).clone()
        full_dim = theta0.numel()
        check_int("subspace_dim", subspace_dim, high=full_dim, high_name="D (projected parameters)")
        proj = _build_projection(projection, full_dim, subspace_dim, seed, dtype, device)
        self._projected, self._frozen = _strip_parameters(inner, {id(p) for _, p in selected})
        self.module = inner
        self.projection = proj
        self.register_buffer("theta0", theta0)
        self.z = nn.Parameter(torch.zeros(subspace_dim, dtype=dtype, device=device))
        self._numels = [shape.numel() for _, shape, _ in self._projected]

    @property
    def full_dim(self) -> int:
        """D, the number of projected parameters."""
        return self.projection.full_dim

    @property
    def subspace_dim(self) -> int:
        """d, the length of z."""
        return self.projection.subspace_dim

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """Set z back to 0, i.e. θ back to θ₀."""
        self.z.zero_()

    def flat_parameters(self) -> Tensor:
        """θ = θ₀ + P z, differentiable in z.

        Returns:
            ``(D,)``.
        """
        return self.theta0 + self.projection(self.z)

    def parameter_dict(self) -> dict[str, Tensor]:
        """The projected parameters θ cut to the module's shapes, keyed by parameter name."""
        pieces = self.flat_parameters().split(self._numels)
        return {
            names[0]: piece.view(shape)
            for (names, shape, _), piece in zip(self._projected, pieces, strict=True)
        }

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Run the wrapped module at θ = θ₀ + P z with the given inputs."""
        return functional_call(self.module, self.parameter_dict(), args, kwargs)

    @torch.no_grad()
    def absorb(self, seed: int | None = None) -> None:
        """Move θ₀ to the current θ and reset z to 0; with ``seed``, also redraw P.

        The function is unchanged; optimiser state on z refers to the old subspace, so
        restart the optimiser after a redraw.
        """
        self.theta0.copy_(self.flat_parameters())
        self.z.zero_()
        if seed is not None:
            self.projection.reseed(seed)

    @torch.no_grad()
    def materialize(self) -> nn.Module:
        """A plain copy of the module with θ = θ₀ + P z written into its parameters.

        Returns:
            A deep copy of the wrapped module with ordinary ``nn.Parameter`` s (and its
            current buffers), computing the same function as this wrapper.
        """
        out = copy.deepcopy(self.module)
        theta = {k: v.detach().clone() for k, v in self.parameter_dict().items()}
        for names, _, requires_grad in self._projected:
            param = nn.Parameter(theta[names[0]], requires_grad=requires_grad)
            for name in names:
                owner, leaf = _owner(out, name)
                delattr(owner, leaf)
                owner.register_parameter(leaf, param)
        for names, requires_grad in self._frozen:
            owner, leaf = _owner(out, names[0])
            param = nn.Parameter(getattr(owner, leaf).detach().clone(), requires_grad=requires_grad)
            for name in names:
                owner, leaf = _owner(out, name)
                delattr(owner, leaf)
                owner.register_parameter(leaf, param)
        return out

    def extra_repr(self) -> str:
        return f"full_dim={self.full_dim}, subspace_dim={self.subspace_dim}"
