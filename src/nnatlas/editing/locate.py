"""Find the FFN value projection an editor writes to, by name, in real architectures.

Defaults by architecture (the layers WISE edits; ``layer`` is the block index):

* LLaMA / Mistral / Qwen2 (and :class:`nnatlas.data.facts.TinyLlama`): ``model.layers[k].mlp.down_proj``;
* GPT-J: ``transformer.h[k].mlp.fc_out``;
* GPT-2: ``transformer.h[k].mlp.c_fc`` (EasyEdit's choice; a ``Conv1D`` whose weight is stored
  ``[in, out]``) — pass ``"transformer.h.k.mlp.c_proj"`` for the down projection.

Any ``nn.Linear`` or ``Conv1D`` named by a dotted path (``"model.layers.3.mlp.down_proj"``) is
accepted too.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from nnatlas.core.errors import ConfigError

__all__ = ["Located", "linear_apply", "locate"]

_STACKS = (
    ("model.layers", "mlp.down_proj"),
    ("transformer.h", "mlp.fc_out"),
    ("transformer.h", "mlp.c_fc"),
)


def _is_conv1d(module: nn.Module) -> bool:
    return (
        type(module).__name__ == "Conv1D"
        and hasattr(module, "nf")
        and isinstance(getattr(module, "weight", None), Tensor)
    )


@dataclass
class Located:
    """A located layer.

    Attributes:
        path: dotted module path.
        module: the layer (``nn.Linear`` or ``Conv1D``).
        parent: its parent module; ``attr`` its attribute name there.
        kind: ``"linear"`` (weight ``[out, in]``) or ``"conv1d"`` (weight ``[in, out]``).
    """

    path: str
    module: nn.Module
    parent: nn.Module
    attr: str
    kind: str

    @property
    def weight(self) -> Tensor:
        """The layer's weight (``[out, in]`` for Linear, ``[in, out]`` for Conv1D)."""
        w = self.module.weight
        assert isinstance(w, Tensor)
        return w

    @property
    def in_features(self) -> int:
        w = self.weight
        return int(w.shape[1] if self.kind == "linear" else w.shape[0])

    @property
    def out_features(self) -> int:
        w = self.weight
        return int(w.shape[0] if self.kind == "linear" else w.shape[1])

    def put(self, module: nn.Module) -> None:
        """Install ``module`` where the located layer sits (or put it back)."""
        if isinstance(self.parent, (nn.ModuleList, nn.Sequential)) and self.attr.isdigit():
            self.parent[int(self.attr)] = module
        else:
            setattr(self.parent, self.attr, module)


def linear_apply(kind: str, weight: Tensor, bias: Tensor | None, x: Tensor) -> Tensor:
    """``x W^T + b`` for ``nn.Linear`` weights, ``x W + b`` for ``Conv1D`` weights."""
    y = x @ (weight.t() if kind == "linear" else weight)
    return y if bias is None else y + bias


def _get(model: nn.Module, path: str) -> nn.Module | None:
    try:
        return model.get_submodule(path)
    except AttributeError:
        return None


def locate(model: nn.Module, layer: int | str = -1) -> Located:
    """Find the value projection of block ``layer`` (an int) or the module at a dotted path.

    Args:
        model: the causal LM.
        layer: block index (negative counts from the end) or a dotted module path.

    Returns:
        A :class:`Located`.

    Raises:
        ConfigError: unknown path, index out of range, a module that is not Linear/Conv1D, or a
            model without a known block stack.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module; got {type(model).__name__}")
    if isinstance(layer, bool) or not isinstance(layer, (int, str)):
        raise TypeError(f"layer must be a block index or a dotted module path; got {layer!r}")
    if isinstance(layer, str):
        path = layer
        module = _get(model, path) if path else None
        if module is None:
            raise ConfigError(f"layer: the model has no module at path {path!r}")
    else:
        for stack, tail in _STACKS:
            blocks = _get(model, stack)
            if blocks is None or not isinstance(blocks, nn.ModuleList):
                continue
            if _get(blocks[0], tail) is None:
                continue
            n = len(blocks)
            if not -n <= layer < n:
                raise ConfigError(f"layer must be a block index in [-{n}, {n - 1}]; got {layer}")
            path = f"{stack}.{layer % n}.{tail}"
            module = model.get_submodule(path)
            break
        else:
            raise ConfigError(
                f"layer: {type(model).__name__} has none of the known block stacks "
                "(model.layers[k].mlp.down_proj, transformer.h[k].mlp.fc_out / c_fc); pass a dotted path"
            )
    if isinstance(module, nn.Linear):
        kind = "linear"
    elif _is_conv1d(module):
        kind = "conv1d"
    else:
        raise ConfigError(
            f"layer: the module at {path!r} is a {type(module).__name__}, not nn.Linear or Conv1D"
        )
    parent_path, _, attr = path.rpartition(".")
    parent = model.get_submodule(parent_path) if parent_path else model
    return Located(path, module, parent, attr, kind)
