"""bp.save / bp.load: safetensors round trips, files shared with PyTorch, no unpickling."""

import io
import os
import pickle

import numpy as np
import pytest
import safetensors.numpy
import safetensors.torch
import torch

import backprop as bp
from backprop import nn


def _pair():
    """The same MLP in PyTorch and in backprop, float64."""
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3))
    ours = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    return theirs.double(), ours.double()


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_,
                                   np.float16])
def test_round_trip_keeps_values_dtypes_and_shapes(tmp_path, dtype):
    rng = np.random.default_rng(0)
    state = {
        "matrix": (rng.standard_normal((3, 4)) * 100).astype(dtype),
        "scalar": np.array(7, dtype=dtype),
        "empty": np.zeros((0, 2), dtype=dtype),
        "strided": (rng.standard_normal((4, 6)) * 100).astype(dtype)[::2, 1::2],  # not contiguous
    }
    path = tmp_path / "t.safetensors"
    bp.save({k: bp.tensor(v) for k, v in state.items()}, path)
    loaded = bp.load(path)
    assert list(loaded) == list(state)  # order kept
    for key, value in state.items():
        assert isinstance(loaded[key], bp.Tensor)
        assert loaded[key].dtype == value.dtype and loaded[key].shape == value.shape
        np.testing.assert_array_equal(loaded[key].numpy(), value)
    # the file is plain safetensors: the reference reader agrees
    reference = safetensors.numpy.load_file(str(path))
    for key, value in state.items():
        np.testing.assert_array_equal(reference[key], value)


def test_model_state_dict_round_trip_and_writable(tmp_path):
    _, ours = _pair()
    path = tmp_path / "model.safetensors"
    bp.save(ours.state_dict(), path)
    fresh = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3)).double()
    fresh.load_state_dict(bp.load(path))
    x = bp.randn(4, 5, dtype=bp.float64)
    np.testing.assert_array_equal(fresh(x).detach().numpy(), ours(x).detach().numpy())
    loaded = bp.load(path)
    loaded["0.bias"] += 1  # loaded tensors own writable memory


def test_torch_safetensors_file_loads_into_our_model(tmp_path):
    theirs, ours = _pair()
    path = tmp_path / "torch.safetensors"
    safetensors.torch.save_file(theirs.state_dict(), str(path))
    ours.load_state_dict(bp.load(path))
    x = np.random.default_rng(1).standard_normal((6, 5))
    expected = theirs(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours(bp.tensor(x)).detach().numpy(), expected, rtol=1e-12,
                               atol=1e-14)


def test_our_file_loads_into_torch_model(tmp_path):
    theirs, ours = _pair()
    path = tmp_path / "ours.safetensors"
    bp.save(ours.state_dict(), path)
    theirs.load_state_dict(safetensors.torch.load_file(str(path)))
    x = np.random.default_rng(2).standard_normal((3, 5))
    np.testing.assert_allclose(theirs(torch.from_numpy(x)).detach().numpy(),
                               ours(bp.tensor(x)).detach().numpy(), rtol=1e-12, atol=1e-14)


def test_nested_state_with_numbers_strings_and_int_keys(tmp_path):
    state = {
        "state": {0: {"momentum_buffer": bp.ones(3), "step": 12},
                  1: {"momentum_buffer": bp.zeros(2, 2, dtype=bp.float64), "step": 12}},
        "param_groups": [{"lr": 0.1, "momentum": 0.9, "nesterov": False, "params": [0, 1],
                          "betas": (0.9, 0.999), "name": None, "eps": 1e-8, "big": 2**70,
                          "inf": float("inf"), "np_scalar": np.float64(0.25)}],
        "note": "epoch 3",
        "0": bp.arange(3),  # a key that collides with the dotted path of state[0]
    }
    path = tmp_path / "opt.safetensors"
    bp.save(state, path)
    loaded = bp.load(path)
    assert set(loaded["state"]) == {0, 1}
    np.testing.assert_array_equal(loaded["state"][0]["momentum_buffer"].numpy(), np.ones(3))
    assert loaded["state"][1]["momentum_buffer"].dtype == np.float64
    assert loaded["state"][1]["step"] == 12
    group = loaded["param_groups"][0]
    expected = dict(state["param_groups"][0], np_scalar=0.25)
    assert group == expected and isinstance(group["betas"], tuple)
    assert loaded["note"] == "epoch 3"
    assert loaded["0"].tolist() == [0, 1, 2]


def test_file_objects_and_metadata(tmp_path):
    buffer = io.BytesIO()
    bp.save({"w": bp.ones(2)}, buffer, metadata={"epoch": "4"})
    buffer.seek(0)
    assert bp.load(buffer)["w"].tolist() == [1.0, 1.0]
    path = tmp_path / "meta.safetensors"
    path.write_bytes(buffer.getvalue())
    with safetensors.safe_open(str(path), framework="np") as f:
        assert f.metadata()["epoch"] == "4"


def test_save_rejects_what_it_cannot_store(tmp_path):
    with pytest.raises(TypeError, match=r"at layer\.fn"):
        bp.save({"layer": {"fn": print}}, tmp_path / "x")
    with pytest.raises(TypeError, match="complex128"):
        bp.save({"z": np.ones(2, dtype=complex)}, tmp_path / "x")
    assert not os.listdir(tmp_path)  # nothing half-written, no temporary left behind


def test_save_is_atomic_and_replaces(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    bp.save({"w": bp.zeros(2)}, path)
    calls = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append(fd) or real_fsync(fd))
    real_replace = os.replace

    def crash(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        bp.save({"w": bp.ones(2)}, path)
    assert bp.load(path)["w"].tolist() == [0.0, 0.0]  # the old file is intact
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]  # the temporary is gone
    assert calls  # the data were flushed to disk before the rename
    monkeypatch.setattr(os, "replace", real_replace)
    bp.save({"w": bp.ones(2)}, path)
    assert bp.load(path)["w"].tolist() == [1.0, 1.0]


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(pickle.dumps({"w": _Exploit()}, protocol=4)), "is a pickle file"),
    (lambda p: p.write_bytes(pickle.dumps({"w": [1.0]}, protocol=2)), "is a pickle file"),
    (lambda p: torch.save({"w": torch.ones(2)}, p), "zip archive"),
    (lambda p: p.write_bytes(b""), "0 bytes long"),
    (lambda p: p.write_bytes(b"\x10\x00"), "2 bytes long"),
    (lambda p: p.write_bytes(b"this is certainly not a tensor file"), "not a safetensors file"),
    (lambda p: p.write_bytes(os.urandom(64)), "not a safetensors file"),
    (lambda p: p.write_bytes((5).to_bytes(8, "little") + b"{oops"), "bad header"),
    (lambda p: p.write_bytes((2).to_bytes(8, "little") + b"[]"), "not a safetensors file"),
])
def test_load_rejects_bad_files_with_a_clear_error(tmp_path, make, message):
    path = tmp_path / "bad.bin"
    make(path)
    with pytest.raises(bp.SerializationError, match=message) as info:
        bp.load(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_load_rejects_truncated_files(tmp_path):
    path = tmp_path / "model.safetensors"
    bp.save({"w": bp.randn(50, 50), "b": bp.randn(50)}, path)
    data = path.read_bytes()
    header = int.from_bytes(data[:8], "little")
    for cut in (len(data) - 1, len(data) - 4000, 8 + header, 8 + header // 2, 5):
        path.write_bytes(data[:cut])
        with pytest.raises(bp.SerializationError, match=r"model\.safetensors") as info:
            bp.load(path)
        assert "truncated" in str(info.value) or "too short" in str(info.value)


def test_load_rejects_overlapping_offsets_and_bfloat16(tmp_path):
    path = tmp_path / "odd.safetensors"
    header = b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' \
             b'"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}'
    path.write_bytes(len(header).to_bytes(8, "little") + header + bytes(12))
    with pytest.raises(bp.SerializationError, match="odd.safetensors"):
        bp.load(path)
    safetensors.torch.save_file({"w": torch.ones(2, dtype=torch.bfloat16)}, str(path))
    with pytest.raises(bp.SerializationError, match="'w' .* BF16"):
        bp.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.safetensors"):
        bp.load(tmp_path / "nope.safetensors")
    with pytest.raises(bp.SerializationError, match="nope.safetensors"):
        bp.load(tmp_path / "nope.safetensors")
    with pytest.raises(bp.SerializationError, match="is a directory"):
        bp.load(tmp_path)


@pytest.mark.parametrize("make", [lambda p: bp.optim.SGD(p, lr=0.1, momentum=0.9),
                                  lambda p: bp.optim.Adam(p, lr=0.01)])
def test_checkpoint_resumes_training_exactly(tmp_path, make):
    x, y = bp.randn(8, 5, dtype=bp.float64), bp.randn(8, 3, dtype=bp.float64)

    def steps(model, optimizer, n):
        for _ in range(n):
            optimizer.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            optimizer.step()

    _, model = _pair()
    optimizer = make(model.parameters())
    steps(model, optimizer, 3)
    bp.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3},
            tmp_path / "ckpt.safetensors")
    steps(model, optimizer, 2)

    checkpoint = bp.load(tmp_path / "ckpt.safetensors")
    _, resumed = _pair()
    resumed.load_state_dict(checkpoint["model"])
    resumed_optimizer = make(resumed.parameters())
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    assert checkpoint["epoch"] == 3
    steps(resumed, resumed_optimizer, 2)
    for (name, a), (_, b) in zip(model.state_dict().items(), resumed.state_dict().items(),
                                 strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
