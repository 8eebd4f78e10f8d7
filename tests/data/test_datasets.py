"""Built-in datasets: digits against scikit-learn's loader, MNIST from IDX files the test
writes itself (struct, big-endian, gzipped or not), CSV files."""

import gzip
import struct

import numpy as np
import pytest
from sklearn.datasets import load_digits as sklearn_digits

import backprop as bp
from backprop.data import DataLoader, datasets


# --- digits ---------------------------------------------------------------------------
def test_load_digits_matches_scikit_learn():
    reference = sklearn_digits()
    x, y = datasets.load_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float32
    np.testing.assert_array_equal(x.numpy(), (reference.data / 16).astype(np.float32))
    np.testing.assert_array_equal(y.numpy(), reference.target)
    assert y.dtype == np.int64
    images, _ = datasets.load_digits(images=True)
    np.testing.assert_array_equal(images.numpy()[:, 0], (reference.images / 16).astype(np.float32))


def test_digits_split_is_fixed_disjoint_and_balanced():
    reference = sklearn_digits()
    train, test = datasets.Digits(train=True), datasets.Digits(train=False)
    assert len(train) + len(test) == 1797
    # every 5th image of each digit is held out: check against a direct construction
    seen = {d: 0 for d in range(10)}
    expected_test = []
    for i, label in enumerate(reference.target):
        seen[label] += 1
        if seen[label] % 5 == 0:
            expected_test.append(i)
    np.testing.assert_array_equal(test.data.numpy(),
                                  (reference.data[expected_test] / 16).astype(np.float32))
    np.testing.assert_array_equal(test.targets.numpy(), reference.target[expected_test])
    counts = np.bincount(test.targets.numpy(), minlength=10)
    assert counts.min() >= 34 and counts.max() <= 36
    assert datasets.Digits(train=False, images=True)[0][0].shape == (1, 8, 8)
    x, y = next(iter(DataLoader(train, batch_size=32, shuffle=True, seed=0)))
    assert x.shape == (32, 64) and y.shape == (32,)
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0


# --- MNIST / IDX ------------------------------------------------------------------------
def _idx_bytes(array, type_code=0x08, magic=None):
    """An IDX file written from the format's definition, independently of the reader."""
    big_endian = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    head = magic if magic is not None else struct.pack(">BBBB", 0, 0, type_code, array.ndim)
    dims = struct.pack(f">{array.ndim}I", *array.shape)
    return head + dims + array.astype(big_endian[type_code]).tobytes()


def _write_mnist(folder, split, images, labels, gz=False):
    names = [f"{split}-images-idx3-ubyte", f"{split}-labels-idx1-ubyte"]
    for name, array in zip(names, (images, labels), strict=True):
        data = _idx_bytes(array)
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)


@pytest.fixture
def digits_like():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(6, 4, 5), dtype=np.uint8)
    labels = rng.integers(0, 10, size=6, dtype=np.uint8)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_idx_files(tmp_path, digits_like, gz):
    images, labels = digits_like
    _write_mnist(tmp_path, "train", images, labels, gz=gz)
    _write_mnist(tmp_path, "t10k", images[:2], labels[:2], gz=not gz)
    train = datasets.MNIST(tmp_path, train=True)
    assert len(train) == 6 and train.data.shape == (6, 1, 4, 5)
    assert train.data.dtype == np.float32 and train.targets.dtype == np.int64
    np.testing.assert_array_equal(train.data.numpy()[:, 0], images.astype(np.float32) / 255)
    np.testing.assert_array_equal(train.targets.numpy(), labels)
    test = datasets.MNIST(tmp_path, train=False, flatten=True)
    assert test.data.shape == (2, 20)
    np.testing.assert_array_equal(test.data.numpy(), images[:2].reshape(2, 20) / np.float32(255))
    x, y = next(iter(DataLoader(train, batch_size=4)))
    assert x.shape == (4, 1, 4, 5) and y.tolist() == labels[:4].tolist()


def test_mnist_finds_torchvision_layout(tmp_path, digits_like):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    _write_mnist(raw, "train", *digits_like)
    assert len(datasets.FashionMNIST(tmp_path)) == 6
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        datasets.MNIST(tmp_path)


@pytest.mark.parametrize("type_code, dtype", [(0x08, np.uint8), (0x09, np.int8), (0x0B, np.int16),
                                              (0x0C, np.int32), (0x0D, np.float32),
                                              (0x0E, np.float64)])
def test_read_idx_every_type(tmp_path, type_code, dtype):
    array = (np.arange(24).reshape(2, 3, 4) * (1 if dtype == np.uint8 else -3)).astype(dtype)
    if dtype == np.uint8:
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / "a.idx"
    path.write_bytes(_idx_bytes(array, type_code))
    read = datasets.read_idx(path)
    assert read.dtype == dtype and read.dtype.isnative
    np.testing.assert_array_equal(read, array)


def test_idx_errors_name_the_file(tmp_path, digits_like):
    images, labels = digits_like
    good = _idx_bytes(images)
    bad_magic = tmp_path / "train-images-idx3-ubyte"
    bad_magic.write_bytes(_idx_bytes(images, magic=b"\x12\x34\x08\x03"))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte: not an IDX file: magic number "
                                         r"0x12340803"):
        datasets.read_idx(bad_magic)
    truncated = tmp_path / "short-idx3-ubyte"
    truncated.write_bytes(good[:-7])
    with pytest.raises(ValueError, match=r"short-idx3-ubyte: truncated IDX file: shape \(6, 4, 5\)"
                                         r" of uint8 needs 120 bytes .* has 113"):
        datasets.read_idx(truncated)
    header_cut = tmp_path / "cut"
    header_cut.write_bytes(good[:9])
    with pytest.raises(ValueError, match="cut: truncated IDX file: the header"):
        datasets.read_idx(header_cut)
    bad_gz = tmp_path / "broken.gz"
    bad_gz.write_bytes(gzip.compress(good)[:-10])
    with pytest.raises(ValueError, match="broken.gz: corrupt or truncated gzip"):
        datasets.read_idx(bad_gz)
    trailing = tmp_path / "long"
    trailing.write_bytes(good + b"\0")
    with pytest.raises(ValueError, match="long: trailing bytes"):
        datasets.read_idx(trailing)


def test_mnist_rejects_mismatched_files(tmp_path, digits_like):
    images, labels = digits_like
    _write_mnist(tmp_path, "train", images, labels[:5])
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte: expected 6 labels"):
        datasets.MNIST(tmp_path)
    _write_mnist(tmp_path, "train", labels, labels)
    with pytest.raises(ValueError, match="train-images-idx3-ubyte: expected a 3-d uint8"):
        datasets.MNIST(tmp_path)


# --- CSV --------------------------------------------------------------------------------
def test_csv_with_header_and_named_class_target(tmp_path):
    path = tmp_path / "iris.csv"
    path.write_text("sepal,petal,species\n5.1,1.4,setosa\n7.0,4.7,versicolor\n6.3, 6.0 ,virginica\n"
                    "4.9,1.5,setosa\n")
    ds = datasets.CSVDataset(path, target_column="species")
    assert ds.columns == ["sepal", "petal", "species"] and ds.feature_names == ["sepal", "petal"]
    assert ds.classes == ["setosa", "versicolor", "virginica"]
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(x.numpy(), np.array([[5.1, 1.4], [7.0, 4.7], [6.3, 6.0],
                                                       [4.9, 1.5]], dtype=np.float32))
    assert y.tolist() == [0, 1, 2, 0]


def test_csv_without_header_numeric_targets(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("1,2,0\n3,4,1\n5,6,1\n")
    ds = datasets.CSVDataset(path)  # target: the last column
    assert ds.columns is None and len(ds) == 3
    assert ds.tensors[1].dtype == np.int64 and ds.tensors[1].tolist() == [0, 1, 1]
    regression = tmp_path / "r.csv"
    regression.write_text("x;y\n1;0.5\n2;1.5\n")
    ds = datasets.CSVDataset(regression, target_column="y", delimiter=";")
    assert ds.tensors[1].dtype == np.float32 and ds.tensors[1].tolist() == [0.5, 1.5]
    assert ds.tensors[0].tolist() == [[1.0], [2.0]]
    ds = datasets.CSVDataset(regression, target_column=0, delimiter=";")  # whole numbers
    assert ds.tensors[1].dtype == np.int64 and ds.tensors[1].tolist() == [1, 2]
    ds = datasets.CSVDataset(path, target_column=None, dtype=np.float64)
    assert len(ds.tensors) == 1 and ds.tensors[0].dtype == np.float64


def test_csv_errors_name_file_line_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b,t\n1,2,0\n3,oops,1\n")
    with pytest.raises(ValueError, match=r"bad.csv, line 3, column 'b': 'oops' is not a number"):
        datasets.CSVDataset(path)
    path.write_text("a,b,t\n1,2,0\n3,1\n")
    with pytest.raises(ValueError, match=r"bad.csv, line 3: 2 fields, expected 3"):
        datasets.CSVDataset(path)
    path.write_text("a,b,t\n1,2,0\n")
    with pytest.raises(ValueError, match=r"no column named 'z'"):
        datasets.CSVDataset(path, target_column="z")
    with pytest.raises(ValueError, match="out of range"):
        datasets.CSVDataset(path, target_column=3)
    path.write_text("")
    with pytest.raises(ValueError, match="empty"):
        datasets.CSVDataset(path)


def test_datasets_reachable_from_bp():
    assert bp.data.datasets.Digits is datasets.Digits
