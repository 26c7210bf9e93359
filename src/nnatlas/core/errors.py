"""Exceptions raised by nnatlas.

Every error a user can cause derives from :class:`NnatlasError`, so the CLI can print it as
one line and exit with status 2 instead of a stack trace.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "MissingExtraError",
    "NnatlasError",
    "StorageError",
    "UnknownNameError",
]


class NnatlasError(Exception):
    """Base class of the errors a user can cause (bad name, bad value, missing extra)."""


class UnknownNameError(NnatlasError, KeyError):
    """A paper, claim, preset or config field name that does not exist."""

    def __init__(self, kind: str, name: str, choices: list[str] | tuple[str, ...]) -> None:
        self.kind, self.name, self.choices = kind, name, list(choices)
        shown = ", ".join(self.choices) if self.choices else "(none)"
        super().__init__(f"unknown {kind} {name!r}; valid choices: {shown}")

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


class ConfigError(NnatlasError, ValueError):
    """A configuration value of the wrong type or out of range."""


class MissingExtraError(NnatlasError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class StorageError(NnatlasError, OSError):
    """A path that cannot be read or written (not a directory, no permission, disk full).

    The message names the path and the reason in one line; ``errno`` is the underlying
    ``OSError``'s when there was one.
    """
