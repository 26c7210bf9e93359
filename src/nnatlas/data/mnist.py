"""MNIST from the standard IDX files already on disk, as a :class:`DataSplit`.

MNIST (LeCun, Bottou, Bengio and Haffner, "Gradient-based learning applied to document
recognition", 1998): 70,000 grey-scale 28x28 handwritten digits, 10 classes, distributed as
four IDX files. nnatlas never downloads data, so this loader only reads files the user has
already placed in a folder (see :func:`load_mnist` for where it looks). The official
60,000/10,000 train/test split is kept as published; it is not re-split.

:func:`read_idx` is the general IDX parser (any of the six IDX element types, any number of
dimensions, raw or gzip-compressed) and works for any IDX file, e.g. Fashion-MNIST's.
"""

from __future__ import annotations

import gzip
import logging
import math
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from nnatlas.data._split import DataSplit, check_int

__all__ = ["MNIST_DIR_ENV", "MNIST_FILES", "load_mnist", "read_idx"]

logger = logging.getLogger(__name__)

#: Environment variable naming the folder that holds the MNIST IDX files.
MNIST_DIR_ENV = "NNATLAS_MNIST_DIR"

#: The four MNIST file names; each may also carry a ``.gz`` suffix.
MNIST_FILES: tuple[str, str, str, str] = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

_DEFAULT_DIR = "~/.cache/nnatlas/mnist"
# torchvision.datasets.MNIST(root) keeps the raw files here, so a folder used by torchvision
# works as `root` too.
_TORCHVISION_SUBDIR = Path("MNIST", "raw")
_SPLITS = ("standard",)
_IMAGE_SIZE = (28, 28)
_NUM_CLASSES = 10

# IDX type code -> big-endian numpy dtype of the stored elements.
_IDX_DTYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def _idx_bytes(path: Path) -> tuple[bytes, bool]:
    """The file's IDX bytes, gunzipped when the file is gzip data; and whether it was."""
    raw = path.read_bytes()
    # Sniff the content rather than trust the suffix: an IDX file starts with a zero byte,
    # gzip data never does, so the two cannot be confused.
    if not raw.startswith(_GZIP_MAGIC):
        return raw, False
    try:
        return gzip.decompress(raw), True
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(
            f"IDX file {str(path)!r}: expected a complete gzip stream; found a corrupt or "
            f"truncated one ({err})"
        ) from err


def read_idx(path: str | os.PathLike[str]) -> npt.NDArray[Any]:
    """Parse one IDX file (the format MNIST is distributed in).

    The layout is a 4-byte magic number (two zero bytes, a type code, the number of
    dimensions ``d``), then ``d`` big-endian unsigned 32-bit sizes, then the elements in
    C order, big-endian. Type codes: ``0x08`` uint8, ``0x09`` int8, ``0x0B`` int16,
    ``0x0C`` int32, ``0x0D`` float32, ``0x0E`` float64. Gzip-compressed files are recognised
    by their content (whatever the name) and decompressed in memory.

    Args:
        path: the file, raw or gzip-compressed.

    Returns:
        A new, writable array of the file's shape, in native byte order (``uint8``, ``int8``,
        ``int16``, ``int32``, ``float32`` or ``float64``).

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: naming the file, what was expected and what was found, on a bad magic
            number, a truncated header or body, trailing bytes, or corrupt gzip data.
    """
    path = Path(path)
    data, compressed = _idx_bytes(path)
    where = f"IDX file {str(path)!r}" + (" (after gzip decompression)" if compressed else "")
    if len(data) < 4:
        raise ValueError(f"{where}: expected a 4-byte magic number; found {len(data)} bytes")
    zero0, zero1, code, ndim = data[:4]
    if zero0 != 0 or zero1 != 0 or code not in _IDX_DTYPES or ndim == 0:
        codes = ", ".join(f"0x{c:02X}" for c in _IDX_DTYPES)
        raise ValueError(
            f"{where}: bad magic number; expected two zero bytes, a type code in ({codes}) and "
            f"a dimension count >= 1; found bytes {data[:4].hex(' ')}"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(
            f"{where}: truncated header; expected {header} bytes for {ndim} dimension sizes; "
            f"found {len(data)} bytes"
        )
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = _IDX_DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    found = len(data) - header
    if found != expected:
        problem = "truncated data" if found < expected else "wrong size (trailing bytes)"
        raise ValueError(
            f"{where}: {problem}; expected {expected} data bytes after the {header}-byte header "
            f"for shape {shape} of {dtype.name}; found {found}"
        )
    array = np.frombuffer(data, dtype=dtype, count=math.prod(shape), offset=header)
    # astype copies: the result is writable, native-endian and does not pin `data`.
    return array.reshape(shape).astype(dtype.newbyteorder("="))


def _candidate_dirs(root: str | os.PathLike[str] | None) -> tuple[list[Path], str]:
    """Folders to search in order, and a note on where they came from (for error messages)."""
    if root is not None:
        bases = [Path(root).expanduser()]
        note = "the given root"
    else:
        env = os.environ.get(MNIST_DIR_ENV, "")
        bases = [Path(env).expanduser()] if env else []
        bases.append(Path(_DEFAULT_DIR).expanduser())
        note = (
            f"${MNIST_DIR_ENV}={env!r}, then the default folder"
            if env
            else f"${MNIST_DIR_ENV} is not set, so only the default folder"
        )
    dirs = []
    for base in bases:
        dirs += [base, base / _TORCHVISION_SUBDIR]
    return dirs, note


def _find_files(folder: Path) -> list[Path] | None:
    """The four MNIST files in ``folder`` (uncompressed preferred), or ``None`` if any is missing."""
    found = []
    for name in MNIST_FILES:
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.is_file():
                found.append(candidate)
                break
        else:
            return None
    return found


def _locate(root: str | os.PathLike[str] | None) -> list[Path]:
    dirs, note = _candidate_dirs(root)
    for folder in dirs:
        files = _find_files(folder)
        if files is not None:
            logger.debug("loading MNIST from %s", folder)
            return files
    searched = "\n".join(f"  {folder}" for folder in dirs)
    names = "\n".join(f"  {name}[.gz]" for name in MNIST_FILES)
    raise FileNotFoundError(
        f"MNIST IDX files not found. Searched ({note}):\n{searched}\n"
        f"for all four of:\n{names}\n"
        "nnatlas never downloads data: place the four IDX files (raw or .gz) in one of these "
        f"folders, pass root=..., or set {MNIST_DIR_ENV} to the folder that holds them."
    )


def _read_part(
    images_path: Path, labels_path: Path, limit: int | None
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.dtype != np.uint8 or images.shape[1:] != _IMAGE_SIZE:
        raise ValueError(
            f"IDX file {str(images_path)!r}: expected uint8 images of shape (N, 28, 28); "
            f"found {images.dtype} of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(
            f"IDX file {str(labels_path)!r}: expected uint8 labels of shape (N,); "
            f"found {labels.dtype} of shape {labels.shape}"
        )
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"MNIST image/label count mismatch: expected as many labels as images; found "
            f"{images.shape[0]} images in {str(images_path)!r} and {labels.shape[0]} labels in "
            f"{str(labels_path)!r}"
        )
    if labels.size and int(labels.max()) >= _NUM_CLASSES:
        raise ValueError(
            f"IDX file {str(labels_path)!r}: expected labels in [0, {_NUM_CLASSES}); "
            f"found {int(labels.max())}"
        )
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    return images, labels


def _pixel_stats(images: npt.NDArray[np.uint8]) -> tuple[float, float]:
    """Mean and population std of all pixels scaled to ``[0, 1]``, exactly, in float64.

    Computed from the 256-bin histogram, so the full training set never needs a float64 copy.
    """
    counts = np.bincount(images.ravel(), minlength=256).astype(np.float64)
    values = np.arange(256, dtype=np.float64) / 255.0
    total = counts.sum()
    mean = float(counts @ values / total)
    var = float(counts @ (values - mean) ** 2 / total)
    return mean, math.sqrt(var)


def load_mnist(
    root: str | os.PathLike[str] | None = None,
    *,
    split: str = "standard",
    standardize: bool = True,
    flatten: bool = False,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
    limit_train: int | None = None,
    limit_test: int | None = None,
) -> DataSplit:
    """MNIST handwritten digits from the four IDX files on disk: 60,000 train, 10,000 test.

    Where the files are looked for: in ``root`` if given; otherwise in the folder named by the
    environment variable ``NNATLAS_MNIST_DIR`` (if set), then in ``~/.cache/nnatlas/mnist``.
    Each folder ``F`` is tried as ``F`` and as ``F/MNIST/raw`` (torchvision's layout), and the
    first that holds all four of ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (each raw or ``.gz``) is used.
    Nothing is ever downloaded.

    Pixels are scaled to ``[0, 1]``. With ``standardize`` they are then z-scored with a single
    scalar mean and std over all pixels of the returned training images (the usual MNIST
    convention, about 0.1307 and 0.3081 on the full training set), applied to train and test
    alike; per-pixel statistics are not used because MNIST's border pixels are constant.

    Args:
        root: folder holding the IDX files; ``None`` searches as described above.
        split: ``"standard"``, the official train/test split, kept as published (the only
            choice at present).
        standardize: z-score with the training mean and std (see above); otherwise pixels stay
            in ``[0, 1]``.
        flatten: features ``(N, 784)`` instead of ``(N, 1, 28, 28)``.
        dtype: floating-point dtype of the features.
        device: device of the tensors.
        limit_train: keep only the first ``limit_train`` training samples (all of them if
            fewer), for quick experiments; the standardisation statistics then come from this
            subset. ``None`` keeps all 60,000.
        limit_test: keep only the first ``limit_test`` test samples; ``None`` keeps all.

    Returns:
        A :class:`DataSplit` named ``"mnist"`` with ``num_classes=10``, int64 labels, and
        features ``(N, 1, 28, 28)`` or ``(N, 784)``, in file order (not shuffled).

    Raises:
        FileNotFoundError: if no searched folder holds all four files; the message lists the
            folders searched and the file names.
        ValueError: on a corrupt or malformed file, image/label counts that disagree, labels
            outside ``[0, 10)``, an unknown ``split``, a non-floating ``dtype`` or a limit that
            is not a positive integer.
    """
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {_SPLITS}; got {split!r}")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating-point dtype; got {dtype}")
    if limit_train is not None:
        limit_train = check_int("limit_train", limit_train, 1)
    if limit_test is not None:
        limit_test = check_int("limit_test", limit_test, 1)

    train_images, train_labels, test_images, test_labels = _locate(root)
    x_train_u8, y_train = _read_part(train_images, train_labels, limit_train)
    x_test_u8, y_test = _read_part(test_images, test_labels, limit_test)

    # Scale on the target device from uint8 (a quarter of the bytes to move), in float64 only
    # when float64 is asked for: the scalar affine map is exact enough in float32.
    work = torch.float64 if dtype == torch.float64 else torch.float32
    scale, shift = 1.0 / 255.0, 0.0
    if standardize:
        mean, std = _pixel_stats(x_train_u8)
        std = std if std > 0.0 else 1.0  # constant images: only centre them
        scale, shift = scale / std, -mean / std

    def features(images: npt.NDArray[np.uint8]) -> torch.Tensor:
        x = torch.from_numpy(images).to(device=device).to(work) * scale + shift
        x = x.reshape(x.shape[0], -1) if flatten else x.unsqueeze(1)
        return x.to(dtype)

    def labels(y: npt.NDArray[np.uint8]) -> torch.Tensor:
        return torch.from_numpy(y).to(device=device, dtype=torch.int64)

    return DataSplit(
        x_train=features(x_train_u8),
        y_train=labels(y_train),
        x_test=features(x_test_u8),
        y_test=labels(y_test),
        num_classes=_NUM_CLASSES,
        name="mnist",
    )
