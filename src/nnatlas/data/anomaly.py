"""Seeded procedural textures with injected defects and ground-truth masks (anomaly detection).

For FastFlow (Yu et al., arXiv 2111.07677) and the detectors beside it, offline: MVTec AD
cannot be downloaded here, so each "category" is a texture family with random phase:

* ``stripes``: an oriented sinusoid (fixed orientation per category; random phase, a small
  jitter of frequency and colour per image);
* ``grid``: thin horizontal and vertical lines at a random phase;
* ``noise``: separably smoothed Gaussian noise (no two images alike).

Every image gets pixel noise. Test images are anomalous with probability ``anomaly_fraction``;
an anomalous image gets one defect and its mask: a dark ``scratch`` (a thick line segment), a
coloured ``blob`` (a disc), or a rotated ``patch`` (a square region rotated by 90°: a structural
defect with normal colours). Values are in about ``[0, 1]``, ``(N, 3, size, size)`` float32.

:func:`anomaly_objects` is the object half of MVTec's categories: one object per image on a
plain background, at a random rotation and a small offset (as MVTec's screws and metal nuts),
so that a detector must model the object's shape rather than a stationary texture. The
``gear`` category is a toothed disc with a bore; its defects are a ``missing`` tooth (a missing
part: object pixels become background, the mask is where the tooth was), a ``scratch`` across the
body and a ``blob`` of foreign colour on it.
:func:`one_class_digits` is the image-level set of the project notes: scikit-learn's bundled
8×8 digits, one digit normal and the others anomalous (no masks). Nothing is downloaded.
:func:`load_mvtec` reads the MVTec AD folder layout for users who have
the data set on disk (``<root>/<category>/{train/good, test/<defect>, ground_truth/<defect>}``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from nnatlas.core.errors import ConfigError, StorageError, UnknownNameError
from nnatlas.core.optional import require
from nnatlas.core.validation import check_int
from nnatlas.data.tabular import load_digits

__all__ = [
    "DEFECTS",
    "OBJECTS",
    "OBJECT_DEFECTS",
    "TEXTURES",
    "AnomalyData",
    "anomaly_objects",
    "anomaly_textures",
    "load_mvtec",
    "one_class_digits",
]

TEXTURES: tuple[str, ...] = ("stripes", "grid", "noise")
"""Texture families of :func:`anomaly_textures`."""

DEFECTS: tuple[str, ...] = ("scratch", "blob", "patch")
"""Defect kinds of :func:`anomaly_textures`."""

OBJECTS: tuple[str, ...] = ("gear",)
"""Object categories of :func:`anomaly_objects`."""

OBJECT_DEFECTS: tuple[str, ...] = ("missing", "scratch", "blob")
"""Defect kinds of :func:`anomaly_objects`."""


@dataclass(frozen=True)
class AnomalyData:
    """A one-class anomaly-detection set.

    Attributes:
        train: normal training images ``(N_train, 3, H, W)``.
        test: test images ``(N_test, 3, H, W)``.
        labels: ``(N_test,)`` int64, 1 for an anomalous image.
        masks: ``(N_test, H, W)`` float32, 1 on defect pixels (all zero for normal images);
            ``None`` for image-level sets (:func:`one_class_digits`).
        name: e.g. ``"stripes-64"``.
    """

    train: Tensor
    test: Tensor
    labels: Tensor
    masks: Tensor | None
    name: str

    @property
    def image_size(self) -> tuple[int, int]:
        return int(self.train.shape[2]), int(self.train.shape[3])


def _grid(size: int) -> tuple[Tensor, Tensor]:
    r = torch.arange(size, dtype=torch.float32)
    yy, xx = torch.meshgrid(r, r, indexing="ij")
    return yy, xx


def _texture(kind: str, n: int, size: int, gen: torch.Generator) -> Tensor:
    yy, xx = _grid(size)
    u = lambda *shape: torch.rand(*shape, generator=gen)  # noqa: E731
    if kind == "stripes":
        angle = math.pi / 5  # one orientation per category
        freq = 2 * math.pi / (size / 6) * (1 + 0.05 * (u(n, 1, 1) - 0.5))
        phase = 2 * math.pi * u(n, 1, 1)
        proj = xx * math.cos(angle) + yy * math.sin(angle)
        wave = 0.5 + 0.5 * torch.sin(freq * proj + phase)  # (n, H, W)
        colour = torch.tensor([0.8, 0.5, 0.2]) + 0.05 * (u(n, 3) - 0.5)
        img = 0.15 + wave[:, None] * colour[:, :, None, None]
    elif kind == "grid":
        period = size // 8
        py, px = torch.randint(period, (2, n, 1, 1), generator=gen)
        lines = (((yy + py) % period) < 2) | (((xx + px) % period) < 2)
        img = torch.where(lines[:, None], 0.2, 0.75).expand(n, 3, size, size).clone()
        img[:, 2] *= 0.8
    elif kind == "noise":
        white = torch.randn(n, 3, size, size, generator=gen)
        k = torch.exp(-0.5 * (torch.arange(-6, 7, dtype=torch.float32) / 2.5) ** 2)
        k = (k / k.sum()).reshape(1, 1, 1, -1).expand(3, 1, 1, -1)
        smooth = F.conv2d(F.pad(white, (6, 6, 0, 0), mode="circular"), k, groups=3)
        smooth = F.conv2d(F.pad(smooth, (0, 0, 6, 6), mode="circular"),
                          k.transpose(2, 3), groups=3)  # fmt: skip
        img = 0.5 + 0.6 * smooth
    else:  # pragma: no cover - checked by the caller
        raise UnknownNameError("texture", kind, TEXTURES)
    return img


def _defect(img: Tensor, kind: str, gen: torch.Generator) -> Tensor:
    """Inject one defect into ``img: (3, H, W)`` in place; return its mask ``(H, W)``."""
    size = img.shape[1]
    yy, xx = _grid(size)
    u = lambda: float(torch.rand((), generator=gen))  # noqa: E731
    lo, hi = 0.2 * size, 0.8 * size
    cy, cx = lo + (hi - lo) * u(), lo + (hi - lo) * u()
    if kind == "scratch":
        angle, half = math.pi * u(), size * (0.15 + 0.15 * u())
        dy, dx = math.sin(angle), math.cos(angle)
        along = (yy - cy) * dy + (xx - cx) * dx
        across = (yy - cy) * dx - (xx - cx) * dy
        mask = (along.abs() <= half) & (across.abs() <= max(1.0, size / 40))
        img[:, mask] = 0.05
    elif kind == "blob":
        radius = size * (0.05 + 0.05 * u())
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2
        colour = torch.tensor([0.1, 0.3 + 0.4 * u(), 0.9])
        img[:, mask] = colour[:, None]
    else:  # patch
        side = max(4, int(size * (0.15 + 0.1 * u())))
        y0, x0 = int(cy - side / 2), int(cx - side / 2)
        region = img[:, y0 : y0 + side, x0 : x0 + side]
        img[:, y0 : y0 + side, x0 : x0 + side] = torch.rot90(region, 1, dims=(1, 2)).clone()
        mask = torch.zeros(size, size, dtype=torch.bool)
        mask[y0 : y0 + side, x0 : x0 + side] = True
    return mask


def _check_common(
    num_train: object, num_test: object, size: object, seed: object,
    anomaly_fraction: object, noise: object, defects: object, known: tuple[str, ...],
) -> None:  # fmt: skip
    check_int("num_train", num_train)
    check_int("num_test", num_test, low=2)
    check_int("size", size, low=16)
    check_int("seed", seed, low=0)
    if (
        isinstance(anomaly_fraction, bool)
        or not isinstance(anomaly_fraction, int | float)
        or not (0 < anomaly_fraction < 1)
    ):
        raise ConfigError(f"anomaly_fraction must be a number in (0, 1); got {anomaly_fraction!r}")
    if isinstance(noise, bool) or not isinstance(noise, int | float) or not 0 <= noise < math.inf:
        raise ConfigError(f"noise must be a finite number >= 0; got {noise!r}")
    if isinstance(defects, str) or not isinstance(defects, Sequence) or not defects:
        raise ConfigError(f"defects must be a non-empty sequence of names; got {defects!r}")
    for d in defects:
        if d not in known:
            raise UnknownNameError("defect", str(d), known)


def anomaly_textures(
    texture: str = "stripes",
    *,
    num_train: int = 160,
    num_test: int = 80,
    size: int = 64,
    anomaly_fraction: float = 0.5,
    defects: Sequence[str] = DEFECTS,
    noise: float = 0.03,
    seed: int = 0,
) -> AnomalyData:
    """A seeded texture category with normal training images and a labelled, masked test set.

    Args:
        texture: one of :data:`TEXTURES`.
        num_train: normal training images (≥ 1).
        num_test: test images (≥ 2; at least one normal and one anomalous are guaranteed).
        size: image side (≥ 16; 64 for CPU, 256 for the paper's setting).
        anomaly_fraction: probability that a test image is anomalous, in (0, 1).
        defects: the defect kinds drawn from (uniformly), a non-empty subset of :data:`DEFECTS`.
        noise: standard deviation of the pixel noise (≥ 0).
        seed: the generator's seed (same seed → same data).

    Raises:
        UnknownNameError: an unknown texture or defect name.
        ConfigError: an out-of-range count, size, fraction or noise level.
    """
    if texture not in TEXTURES:
        raise UnknownNameError("texture", str(texture), TEXTURES)
    _check_common(num_train, num_test, size, seed, anomaly_fraction, noise, defects, DEFECTS)
    gen = torch.Generator().manual_seed(seed)
    train = _texture(texture, num_train, size, gen)
    test = _texture(texture, num_test, size, gen)
    labels = (torch.rand(num_test, generator=gen) < anomaly_fraction).long()
    labels[0], labels[-1] = 0, 1  # both classes, whatever the draw
    masks = torch.zeros(num_test, size, size)
    kinds = torch.randint(len(defects), (num_test,), generator=gen)
    for i in torch.nonzero(labels).flatten().tolist():
        masks[i] = _defect(test[i], defects[int(kinds[i])], gen).float()
    train = train + noise * torch.randn(train.shape, generator=gen)
    test = test + noise * torch.randn(test.shape, generator=gen)
    return AnomalyData(train.float(), test.float(), labels, masks, f"{texture}-{size}")


def _gear_parts(n: int, size: int, gen: torch.Generator) -> tuple[Tensor, Tensor, Tensor]:
    """Per-image pixel masks of a gear: ``body (n, H, W)``, ``teeth (n, H, W)`` and the tooth
    index of every pixel ``(n, H, W)`` (meaningful where ``teeth`` is set)."""
    yy, xx = _grid(size)
    u = lambda *shape: torch.rand(*shape, generator=gen)  # noqa: E731
    centre = size / 2 + size * 0.04 * (u(n, 2, 1, 1) - 0.5)  # a small offset per image
    dy, dx = yy - centre[:, 0], xx - centre[:, 1]
    radius = torch.sqrt(dy**2 + dx**2)
    teeth_count, r_body, r_bore, height = 10, 0.28 * size, 0.09 * size, 0.07 * size
    # A random rotation per image: the angle of every pixel relative to the first tooth.
    angle = (torch.atan2(dy, dx) + 2 * math.pi * u(n, 1, 1)) % (2 * math.pi)
    period = 2 * math.pi / teeth_count
    index = torch.floor(angle / period)
    within = angle / period - index  # position inside the tooth's period, in [0, 1)
    body = (radius <= r_body) & (radius >= r_bore)
    teeth = (radius > r_body) & (radius <= r_body + height) & (within < 0.5)
    return body, teeth, index.long() % teeth_count


def _paint_gear(body: Tensor, teeth: Tensor, size: int, gen: torch.Generator) -> Tensor:
    n = body.shape[0]
    yy, xx = _grid(size)
    shade = 0.9 + 0.1 * torch.cos(2 * math.pi * (yy + xx) / size)  # a soft metallic gradient
    tone = 0.55 + 0.05 * (torch.rand(n, 1, 1, generator=gen) - 0.5)
    grey = torch.where(body | teeth, tone * shade, torch.full_like(shade, 0.12).expand(n, -1, -1))
    colour = torch.tensor([1.0, 0.97, 0.9])  # slightly warm metal, neutral background
    return grey[:, None] * colour[None, :, None, None]


def anomaly_objects(
    category: str = "gear",
    *,
    num_train: int = 160,
    num_test: int = 80,
    size: int = 64,
    anomaly_fraction: float = 0.5,
    defects: Sequence[str] = OBJECT_DEFECTS,
    noise: float = 0.03,
    seed: int = 0,
) -> AnomalyData:
    """A seeded object category (one rotated object per image) with a labelled, masked test set.

    Args:
        category: one of :data:`OBJECTS`.
        num_train: normal training images (≥ 1).
        num_test: test images (≥ 2; at least one normal and one anomalous are guaranteed).
        size: image side (≥ 16; 64 for CPU, 256 for the paper's setting).
        anomaly_fraction: probability that a test image is anomalous, in (0, 1).
        defects: the defect kinds drawn from (uniformly), a non-empty subset of
            :data:`OBJECT_DEFECTS`: ``missing`` (one tooth removed), ``scratch``, ``blob``.
        noise: standard deviation of the pixel noise (≥ 0).
        seed: the generator's seed (same seed → same data).

    Raises:
        UnknownNameError: an unknown category or defect name.
        ConfigError: an out-of-range count, size, fraction or noise level.
    """
    if category not in OBJECTS:
        raise UnknownNameError("category", str(category), OBJECTS)
    _check_common(num_train, num_test, size, seed, anomaly_fraction, noise, defects, OBJECT_DEFECTS)
    gen = torch.Generator().manual_seed(seed)
    body, teeth, _ = _gear_parts(num_train, size, gen)
    train = _paint_gear(body, teeth, size, gen)
    body, teeth, index = _gear_parts(num_test, size, gen)
    labels = (torch.rand(num_test, generator=gen) < anomaly_fraction).long()
    labels[0], labels[-1] = 0, 1  # both classes, whatever the draw
    kinds = torch.randint(len(defects), (num_test,), generator=gen)
    missing = torch.zeros(num_test, size, size, dtype=torch.bool)
    for i in torch.nonzero(labels).flatten().tolist():
        if defects[int(kinds[i])] == "missing":
            gone = int(torch.randint(int(index.max()) + 1, (), generator=gen))
            missing[i] = teeth[i] & (index[i] == gone)
    test = _paint_gear(body, teeth & ~missing, size, gen)
    masks = missing.float()
    for i in torch.nonzero(labels).flatten().tolist():
        kind = defects[int(kinds[i])]
        if kind != "missing":
            # Surface defects are kept where they land on the object, as in MVTec's masks; one
            # that misses the object entirely stays as foreign matter on the background.
            before = test[i].clone()
            drawn = _defect(test[i], kind, gen)
            on_object = drawn & (body[i] | teeth[i] & ~missing[i])
            if on_object.any():
                off = drawn & ~on_object
                test[i][:, off] = before[:, off]
                drawn = on_object
            masks[i] = drawn.float()
    train = train + noise * torch.randn(train.shape, generator=gen)
    test = test + noise * torch.randn(test.shape, generator=gen)
    return AnomalyData(train.float(), test.float(), labels, masks, f"{category}-{size}")


_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)


def _read(path: Path, size: int, *, mask: bool = False) -> Tensor:
    image_mod = require("PIL.Image", "report")  # Pillow comes with matplotlib
    with image_mod.open(path) as im:
        im = im.convert("L" if mask else "RGB")
        im = im.resize(
            (size, size), image_mod.Resampling.NEAREST if mask else image_mod.Resampling.BILINEAR
        )
        data = torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8)
    if mask:
        return (data.reshape(size, size) > 127).float()
    return data.reshape(size, size, 3).permute(2, 0, 1).float() / 255.0


def load_mvtec(
    root: str | Path, category: str, *, size: int = 256, max_train: int | None = None
) -> AnomalyData:
    """One MVTec AD category from disk (the published folder layout), resized to ``size``.

    ``<root>/<category>/train/good/*.png`` are the normal training images;
    ``test/<defect>/*.png`` the test images (``good`` is normal, any other folder anomalous);
    ``ground_truth/<defect>/<name>_mask.png`` the masks of anomalous test images (a missing
    mask is an error). Images are RGB in ``[0, 1]``; masks are binarised at 50 %.

    Args:
        root: the folder holding the categories.
        category: e.g. ``"carpet"``.
        size: the side images and masks are resized to (bilinear / nearest).
        max_train: read at most this many training images (the first, sorted by name).

    Raises:
        StorageError: a folder or mask of the layout is missing, naming the path.
        MissingExtraError: Pillow is not installed.
    """
    if not isinstance(root, str | Path):
        raise TypeError(f"root must be a path; got {type(root).__name__}")
    if not isinstance(category, str) or not category:
        raise ConfigError(f"category must be a non-empty folder name; got {category!r}")
    check_int("size", size, low=8)
    if max_train is not None:
        check_int("max_train", max_train)
    base = Path(root) / category
    for sub in ("train/good", "test"):
        if not (base / sub).is_dir():
            raise StorageError(f"{base / sub}: not a folder (expected the MVTec AD layout)")
    train_paths = _images_in(base / "train" / "good")[:max_train]
    if not train_paths:
        raise StorageError(f"{base / 'train' / 'good'}: no images")
    test, labels, masks = [], [], []
    for defect in sorted(p.name for p in (base / "test").iterdir() if p.is_dir()):
        for path in _images_in(base / "test" / defect):
            test.append(_read(path, size))
            if defect == "good":
                labels.append(0)
                masks.append(torch.zeros(size, size))
                continue
            mask_path = base / "ground_truth" / defect / f"{path.stem}_mask.png"
            if not mask_path.is_file():
                raise StorageError(f"{mask_path}: missing ground-truth mask")
            labels.append(1)
            masks.append(_read(mask_path, size, mask=True))
    if not test:
        raise StorageError(f"{base / 'test'}: no test images")
    train = torch.stack([_read(p, size) for p in train_paths])
    return AnomalyData(train, torch.stack(test), torch.tensor(labels), torch.stack(masks),
                       f"mvtec-{category}-{size}")  # fmt: skip


def one_class_digits(normal: int = 0, *, test_size: float = 0.25, seed: int = 0) -> AnomalyData:
    """One-class detection on scikit-learn's bundled digits (8×8, image level only).

    The training images are the ``normal`` digit's share of a stratified split; the test set
    is the whole held-out part, anomalous where the digit is another one. Pixels are scaled to
    ``[0, 1]``, shape ``(N, 1, 8, 8)``; ``masks`` is ``None``.

    Args:
        normal: the normal digit, 0-9.
        test_size: held-out fraction, in (0, 1).
        seed: seed of the split.

    Raises:
        MissingExtraError: scikit-learn is not installed (extra ``data``).
    """
    check_int("normal", normal, low=0, high=9)
    split = load_digits(test_size=test_size, seed=seed, standardize=False, as_images=True)
    train = split.x_train[split.y_train == normal] / 16.0
    return AnomalyData(train, split.x_test / 16.0, (split.y_test != normal).long(), None,
                       f"digits-one-class-{normal}")  # fmt: skip
