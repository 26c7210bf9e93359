"""Character-level text from the Python standard library's own sources, read from disk.

A small, offline, deterministic corpus for character-level language models: the source files
of a fixed list of pure-Python standard-library modules, located with :mod:`sysconfig` (the
running interpreter's ``stdlib`` path) and concatenated in list order. Nothing is downloaded.
The text differs slightly between Python versions; :attr:`CharCorpus.digest` identifies it.
"""

from __future__ import annotations

import hashlib
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int

__all__ = ["STDLIB_MODULES", "CharCorpus", "load_stdlib_text"]

#: The default modules, in concatenation order (pure-Python files present in every CPython 3.10+).
STDLIB_MODULES: tuple[str, ...] = (
    "textwrap",
    "string",
    "bisect",
    "heapq",
    "fractions",
    "shlex",
    "calendar",
    "difflib",
    "argparse",
    "dataclasses",
)


def load_stdlib_text(modules: Sequence[str] = STDLIB_MODULES, max_chars: int | None = None) -> str:
    """The concatenated sources of ``modules`` (top-level ``.py`` files of the stdlib).

    Args:
        modules: module names such as ``"textwrap"`` (a file ``<stdlib>/<name>.py``).
        max_chars: keep at most this many characters (``None``: all).

    Returns:
        The text, files joined in the given order.

    Raises:
        ConfigError: a module has no such source file in this interpreter's stdlib.
    """
    if isinstance(modules, str) or not all(isinstance(m, str) for m in modules):
        raise TypeError(f"modules must be a sequence of module names (str); got {modules!r}")
    root = Path(sysconfig.get_paths()["stdlib"])
    parts = []
    for name in modules:
        path = root / f"{name.replace('.', '/')}.py"
        if not path.is_file():
            raise ConfigError(f"modules must name pure-Python stdlib files; {name!r} has no {path}")
        parts.append(path.read_text(encoding="utf-8"))
    text = "\n".join(parts)
    if max_chars is not None:
        check_int("max_chars", max_chars)
        text = text[:max_chars]
    return text


@dataclass(frozen=True)
class CharCorpus:
    """A text encoded as character ids, split into a leading train part and a trailing val part.

    Attributes:
        vocab: the sorted distinct characters; id ``i`` is ``vocab[i]``.
        train, val: ``(n,)`` int64 ids.
        digest: SHA-256 prefix of the text (which text a result was measured on).
    """

    vocab: str
    train: torch.Tensor
    val: torch.Tensor
    digest: str

    @classmethod
    def from_text(cls, text: str, val_fraction: float = 0.1) -> CharCorpus:
        """Encode ``text``; the last ``val_fraction`` of it is the validation part."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str; got {type(text).__name__}")
        if (
            isinstance(val_fraction, bool)
            or not isinstance(val_fraction, int | float)
            or not 0 < val_fraction < 1
        ):
            raise ConfigError(f"val_fraction must be in (0, 1); got {val_fraction!r}")
        cut = int(len(text) * (1 - val_fraction))
        if cut < 1 or cut >= len(text):
            raise ConfigError(
                f"text of {len(text)} characters with val_fraction={val_fraction} leaves an empty "
                "train or val part; pass a longer text"
            )
        vocab = "".join(sorted(set(text)))
        index = {c: i for i, c in enumerate(vocab)}
        ids = torch.tensor([index[c] for c in text], dtype=torch.long)
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        return cls(vocab, ids[:cut], ids[cut:], digest)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def batch(
        self, split: str, batch_size: int, length: int, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Random windows: inputs ``(batch, length)`` and next-character targets, same shape."""
        check_int("batch_size", batch_size)
        check_int("length", length)
        data = {"train": self.train, "val": self.val}.get(split)
        if data is None:
            raise ConfigError(f"split must be 'train' or 'val'; got {split!r}")
        if len(data) <= length + 1:
            raise ConfigError(
                f"length must be < {len(data) - 1} (the {split} text's size); got {length}"
            )
        start = torch.randint(0, len(data) - length - 1, (batch_size,), generator=generator)
        offsets = start[:, None] + torch.arange(length + 1)
        window = data[offsets]
        return window[:, :-1], window[:, 1:]

    def decode(self, ids: torch.Tensor) -> str:
        """Characters of a 1-D id tensor."""
        return "".join(self.vocab[i] for i in ids.tolist())
