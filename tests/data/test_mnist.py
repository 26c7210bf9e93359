"""MNIST IDX reader and loader, on tiny IDX files written here (no real MNIST needed)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from nnatlas.data import MNIST_DIR_ENV, MNIST_FILES, DataSplit, load_mnist, read_idx

N_TRAIN, N_TEST = 12, 5
IDX_CODES = {
    np.uint8: 0x08,
    np.int8: 0x09,
    np.int16: 0x0B,
    np.int32: 0x0C,
    np.float32: 0x0D,
    np.float64: 0x0E,
}


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode ``array`` as an IDX file: magic, big-endian sizes, big-endian data."""
    code = IDX_CODES[array.dtype.type]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path: Path, array: np.ndarray, *, compress: bool = False) -> Path:
    data = idx_bytes(array)
    if compress:
        path = path.with_name(path.name + ".gz")
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def make_mnist(folder: Path, *, seed: int = 0, compress: bool = False) -> dict[str, np.ndarray]:
    """Write 12 train / 5 test random 28x28 uint8 images with labels 0..9 to ``folder``."""
    rng = np.random.default_rng(seed)
    arrays = {
        "x_train": rng.integers(0, 256, size=(N_TRAIN, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(N_TRAIN) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, size=(N_TEST, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, size=N_TEST, dtype=np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, key in zip(MNIST_FILES, ("x_train", "y_train", "x_test", "y_test"), strict=True):
        write_idx(folder / name, arrays[key], compress=compress)
    return arrays


@pytest.fixture(autouse=True)
def _isolated_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never let a real MNIST in the user's cache or environment leak into these tests."""
    monkeypatch.delenv(MNIST_DIR_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


# ----------------------------------------------------------------------------- read_idx


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("dtype", list(IDX_CODES))
def test_read_idx_round_trip(tmp_path: Path, dtype: type, compress: bool) -> None:
    rng = np.random.default_rng(1)
    array: np.ndarray = (rng.standard_normal((3, 4, 5)) * 100).astype(dtype)
    path = write_idx(tmp_path / "a-idx3", array, compress=compress)
    out = read_idx(path)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    assert out.shape == (3, 4, 5)
    np.testing.assert_array_equal(out, array)
    assert out.flags.writeable


def test_read_idx_detects_gzip_by_content(tmp_path: Path) -> None:
    array = np.arange(6, dtype=np.int32).reshape(2, 3)
    path = tmp_path / "no-suffix"
    path.write_bytes(gzip.compress(idx_bytes(array)))
    np.testing.assert_array_equal(read_idx(str(path)), array)


def test_read_idx_one_dimensional_and_empty(tmp_path: Path) -> None:
    labels = np.array([3, 1, 4], dtype=np.uint8)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "l", labels)), labels)
    empty = read_idx(write_idx(tmp_path / "e", np.zeros((0, 28, 28), dtype=np.uint8)))
    assert empty.shape == (0, 28, 28)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"\x00\x00", "expected a 4-byte magic number; found 2 bytes"),
        (b"\x01\x00\x08\x01" + b"\x00" * 8, "bad magic number.*found bytes 01 00 08 01"),
        (b"\x00\x00\x07\x01" + b"\x00" * 8, "bad magic number.*0x08.*found bytes 00 00 07 01"),
        (b"\x00\x00\x08\x00", "bad magic number.*dimension count >= 1"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x02", "truncated header; expected 16 bytes.*found 8"),
        (
            b"\x00\x00\x0b\x01\x00\x00\x00\x03" + b"\x00" * 5,
            r"truncated data; expected 6 data bytes.*shape \(3,\) of int16; found 5",
        ),
        (
            b"\x00\x00\x08\x01\x00\x00\x00\x02" + b"\x00" * 3,
            r"wrong size \(trailing bytes\); expected 2 data bytes.*found 3",
        ),
    ],
)
def test_read_idx_rejects_malformed(tmp_path: Path, data: bytes, match: str) -> None:
    path = tmp_path / "bad-idx"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=match) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_truncated_gzip(tmp_path: Path) -> None:
    full = gzip.compress(idx_bytes(np.arange(1000, dtype=np.int32)))
    path = tmp_path / "cut.gz"
    path.write_bytes(full[: len(full) // 2])
    with pytest.raises(ValueError, match="expected a complete gzip stream") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_truncated_body_inside_gzip(tmp_path: Path) -> None:
    path = tmp_path / "short.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((4, 28, 28), np.uint8))[:-10]))
    with pytest.raises(ValueError, match=r"after gzip decompression\): truncated data"):
        read_idx(path)


def test_read_idx_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "absent")


# ----------------------------------------------------------------------------- load_mnist


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist_round_trip(tmp_path: Path, compress: bool) -> None:
    arrays = make_mnist(tmp_path, compress=compress)
    split = load_mnist(tmp_path, standardize=False)
    assert isinstance(split, DataSplit)
    assert split.name == "mnist" and split.num_classes == 10
    assert split.x_train.shape == (N_TRAIN, 1, 28, 28)
    assert split.x_test.shape == (N_TEST, 1, 28, 28)
    assert split.feature_shape == (1, 28, 28)
    assert split.x_train.dtype == torch.float32
    assert split.y_train.dtype == torch.int64 and split.y_test.dtype == torch.int64
    # The official split, in file order: nothing is shuffled or re-split.
    expected_train = torch.from_numpy(arrays["x_train"]).float().unsqueeze(1) / 255
    torch.testing.assert_close(split.x_train, expected_train)
    torch.testing.assert_close(
        split.x_test, torch.from_numpy(arrays["x_test"]).float().unsqueeze(1) / 255
    )
    assert split.y_train.tolist() == arrays["y_train"].tolist()
    assert split.y_test.tolist() == arrays["y_test"].tolist()
    assert float(split.x_train.min()) >= 0.0 and float(split.x_train.max()) <= 1.0


def test_standardize_uses_train_statistics(tmp_path: Path) -> None:
    arrays = make_mnist(tmp_path)
    split = load_mnist(tmp_path, dtype=torch.float64)
    train = arrays["x_train"].astype(np.float64) / 255
    mean, std = train.mean(), train.std()
    # Exactly zero mean and unit (population) std over all train pixels: a single scalar.
    assert abs(float(split.x_train.mean())) < 1e-12
    assert float(split.x_train.std(correction=0)) == pytest.approx(1.0, abs=1e-12)
    expected_test = (arrays["x_test"].astype(np.float64) / 255 - mean) / std
    np.testing.assert_allclose(split.x_test[:, 0].numpy(), expected_test, rtol=0, atol=1e-12)


def test_standardize_float32_close_to_float64(tmp_path: Path) -> None:
    make_mnist(tmp_path)
    f32 = load_mnist(tmp_path)
    f64 = load_mnist(tmp_path, dtype=torch.float64)
    assert f32.x_train.dtype == torch.float32
    torch.testing.assert_close(f32.x_test.double(), f64.x_test, rtol=0, atol=1e-5)


def test_flatten(tmp_path: Path) -> None:
    arrays = make_mnist(tmp_path)
    split = load_mnist(tmp_path, flatten=True, standardize=False)
    assert split.x_train.shape == (N_TRAIN, 784) and split.x_test.shape == (N_TEST, 784)
    assert split.feature_shape == (784,)
    np.testing.assert_allclose(
        split.x_train.numpy(), arrays["x_train"].reshape(N_TRAIN, 784) / 255, atol=1e-7
    )


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_dtypes(tmp_path: Path, dtype: torch.dtype) -> None:
    make_mnist(tmp_path)
    split = load_mnist(tmp_path, dtype=dtype, device="cpu")
    assert split.x_train.dtype == dtype and split.x_test.dtype == dtype
    assert split.y_train.dtype == torch.int64


def test_limits_take_the_first_samples(tmp_path: Path) -> None:
    arrays = make_mnist(tmp_path)
    split = load_mnist(tmp_path, limit_train=7, limit_test=2, standardize=False)
    assert (split.num_train, split.num_test) == (7, 2)
    assert split.y_train.tolist() == arrays["y_train"][:7].tolist()
    assert split.y_test.tolist() == arrays["y_test"][:2].tolist()
    torch.testing.assert_close(
        split.x_train[:, 0], torch.from_numpy(arrays["x_train"][:7]).float() / 255
    )
    # Standardisation statistics come from the kept training samples.
    standardized = load_mnist(tmp_path, limit_train=7, dtype=torch.float64)
    assert abs(float(standardized.x_train.mean())) < 1e-12
    # A limit above the number of samples keeps them all.
    assert load_mnist(tmp_path, limit_train=10_000).num_train == N_TRAIN


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_limits(tmp_path: Path, bad: object) -> None:
    make_mnist(tmp_path)
    with pytest.raises(ValueError, match="limit_train must be an integer >= 1"):
        load_mnist(tmp_path, limit_train=bad)  # type: ignore[arg-type]


def test_bad_split_and_dtype(tmp_path: Path) -> None:
    make_mnist(tmp_path)
    with pytest.raises(ValueError, match="split must be one of"):
        load_mnist(tmp_path, split="random")
    with pytest.raises(ValueError, match="floating-point dtype"):
        load_mnist(tmp_path, dtype=torch.int32)


def test_env_var_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    arrays = make_mnist(tmp_path / "env", compress=True)
    monkeypatch.setenv(MNIST_DIR_ENV, str(tmp_path / "env"))
    split = load_mnist(standardize=False)
    assert split.y_test.tolist() == arrays["y_test"].tolist()


def test_default_cache_dir_after_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The env var names a folder without the files, so the default folder is used next.
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv(MNIST_DIR_ENV, str(tmp_path / "empty"))
    arrays = make_mnist(tmp_path / "home" / ".cache" / "nnatlas" / "mnist", seed=3)
    assert load_mnist().y_test.tolist() == arrays["y_test"].tolist()


def test_torchvision_layout(tmp_path: Path) -> None:
    arrays = make_mnist(tmp_path / "MNIST" / "raw")
    assert load_mnist(tmp_path).y_train.tolist() == arrays["y_train"].tolist()


def test_prefers_uncompressed(tmp_path: Path) -> None:
    make_mnist(tmp_path, seed=1, compress=True)
    arrays = make_mnist(tmp_path, seed=2)
    assert load_mnist(tmp_path).y_test.tolist() == arrays["y_test"].tolist()


def test_missing_files_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MNIST_DIR_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError) as info:
        load_mnist()
    message = str(info.value)
    for folder in (
        tmp_path / "nowhere",
        tmp_path / "nowhere" / "MNIST" / "raw",
        tmp_path / "home" / ".cache" / "nnatlas" / "mnist",
    ):
        assert str(folder) in message
    for name in MNIST_FILES:
        assert name in message
    assert "never downloads" in message and MNIST_DIR_ENV in message


def test_incomplete_folder_is_not_found(tmp_path: Path) -> None:
    make_mnist(tmp_path)
    (tmp_path / MNIST_FILES[3]).unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path)


def test_corrupted_file(tmp_path: Path) -> None:
    make_mnist(tmp_path)
    path = tmp_path / MNIST_FILES[0]
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match="truncated data") as info:
        load_mnist(tmp_path)
    assert str(path) in str(info.value)


def test_mismatched_counts(tmp_path: Path) -> None:
    make_mnist(tmp_path)
    write_idx(tmp_path / MNIST_FILES[3], np.zeros(N_TEST + 1, dtype=np.uint8))
    with pytest.raises(ValueError, match=f"found {N_TEST} images .* and {N_TEST + 1} labels"):
        load_mnist(tmp_path)


def test_wrong_image_shape_and_labels(tmp_path: Path) -> None:
    make_mnist(tmp_path)
    write_idx(tmp_path / MNIST_FILES[0], np.zeros((N_TRAIN, 28, 27), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"expected uint8 images of shape \(N, 28, 28\)"):
        load_mnist(tmp_path)
    make_mnist(tmp_path)
    write_idx(tmp_path / MNIST_FILES[1], np.full(N_TRAIN, 10, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"expected labels in \[0, 10\); found 10"):
        load_mnist(tmp_path)
    make_mnist(tmp_path)
    write_idx(tmp_path / MNIST_FILES[1], np.zeros(N_TRAIN, dtype=np.int32))
    with pytest.raises(ValueError, match="expected uint8 labels"):
        load_mnist(tmp_path)
