"""Optional dependencies: import them on demand, or fail naming the extra that provides them."""

from __future__ import annotations

import importlib
from types import ModuleType

from nnatlas.core.errors import MissingExtraError

__all__ = ["require"]


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming ``pip install 'nnatlas[extra]'``.

    Args:
        module: dotted module name, e.g. ``"matplotlib.pyplot"``.
        extra: the nnatlas extra that installs it, e.g. ``"report"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        raise MissingExtraError(
            f"{top!r} is needed here but is not installed; "
            f"install it with: pip install 'nnatlas[{extra}]'"
        ) from exc
