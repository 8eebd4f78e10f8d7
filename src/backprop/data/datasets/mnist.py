"""MNIST (and Fashion-MNIST) from the IDX files a user already has; nothing is downloaded.

The IDX format (LeCun et al.): a big-endian magic number ``0x0000TTNN`` (two
zero bytes, a type code TT, the number of dimensions NN), NN big-endian uint32
sizes, then the values, big-endian, row-major. Files may be gzipped.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path
from typing import Any

from ...backends import xp
from ...tensor import Tensor
from ..dataset import TensorDataset

IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
"""IDX type code → big-endian NumPy dtype."""


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":  # not gzipped
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as error:
        raise ValueError(f"{path}: corrupt or truncated gzip file ({error})") from None


def read_idx(path: str | Path) -> Any:
    """The array stored in the IDX file ``path`` (gzipped or not), in native byte order.

    Raises ``ValueError`` naming the file for a wrong magic number, a truncated
    file or trailing bytes.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"{path}: not an IDX file: {len(raw)} bytes, too short for a magic number")
    magic = int.from_bytes(raw[:4], "big")
    if raw[0] or raw[1] or raw[2] not in IDX_TYPES:
        raise ValueError(
            f"{path}: not an IDX file: magic number 0x{magic:08X}, expected 0x0000TTNN with "
            f"type code TT in {', '.join(f'{t:02X}' for t in IDX_TYPES)}"
        )
    dtype, ndim = xp.dtype(IDX_TYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(
            f"{path}: truncated IDX file: the header of a {ndim}-d array needs {header} bytes, "
            f"the file has {len(raw)}"
        )
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) - header != expected:
        short = len(raw) - header < expected
        what = "truncated IDX file" if short else "trailing bytes in IDX file"
        raise ValueError(
            f"{path}: {what}: shape {shape} of {dtype.name} needs {expected} bytes of data "
            f"after the {header}-byte header, the file has {len(raw) - header}"
        )
    array = xp.frombuffer(raw, dtype=dtype, count=math.prod(shape), offset=header)
    return array.reshape(shape).astype(dtype.newbyteorder("="))


class MNIST(TensorDataset):
    """The MNIST digits from IDX files in ``root``: samples ``(image, label)``.

    Args:
        root: a folder holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
            ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (``.gz`` or not;
            ``train-images.idx3-ubyte`` spellings too), directly or in
            ``root/MNIST/raw`` (torchvision's layout).
        train: the training files (True) or the test files (``t10k-*``).
        flatten: samples of shape (H·W,) instead of (1, H, W).

    Images are float32 in [0, 1]; labels int64. ``data``, ``targets`` and
    ``classes`` as in torchvision.

    Example::

        >>> train = MNIST("~/data", train=True)          # doctest: +SKIP
        >>> image, label = train[0]; image.shape         # doctest: +SKIP
        (1, 28, 28)
    """

    folder = "MNIST"
    classes = [str(digit) for digit in range(10)]

    def __init__(self, root: str | Path, train: bool = True, flatten: bool = False) -> None:
        self.root = Path(root).expanduser()
        self.train = train
        split = "train" if train else "t10k"
        images_path = self._find(f"{split}-images", "idx3-ubyte")
        labels_path = self._find(f"{split}-labels", "idx1-ubyte")
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.ndim != 3 or images.dtype != xp.uint8:
            raise ValueError(
                f"{images_path}: expected a 3-d uint8 IDX array of images, got shape "
                f"{images.shape} of {images.dtype}"
            )
        if labels.ndim != 1 or len(labels) != len(images):
            raise ValueError(
                f"{labels_path}: expected {len(images)} labels (one per image in "
                f"{images_path.name}), got an array of shape {labels.shape}"
            )
        pixels = images.astype(xp.float32) / xp.float32(255)
        pixels = pixels.reshape(len(images), -1) if flatten else pixels[:, None]
        super().__init__(Tensor._make(pixels), Tensor._make(labels.astype(xp.int64)))

    def _find(self, stem: str, kind: str) -> Path:
        folders = [self.root, self.root / self.folder / "raw", self.root / "raw"]
        names = [f"{stem}-{kind}", f"{stem}.{kind}"]
        candidates = [f / (n + gz) for f in folders for n in names for gz in ("", ".gz")]
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        raise FileNotFoundError(
            f"{type(self).__name__}: no {stem}-{kind}[.gz] file in {self.root} "
            f"(looked for {', '.join(str(c) for c in candidates[:4])}, …); backprop does not "
            "download data: put the IDX files there"
        )

    @property
    def data(self) -> Tensor:
        return self.tensors[0]

    @property
    def targets(self) -> Tensor:
        return self.tensors[1]


class FashionMNIST(MNIST):
    """Fashion-MNIST: IDX files as for :class:`MNIST`, in ``root`` or ``root/FashionMNIST/raw``."""

    folder = "FashionMNIST"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
