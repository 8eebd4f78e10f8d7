"""``bp.save`` / ``bp.load``: state dicts in the safetensors format, never pickle.

A safetensors file is an 8-byte little-endian header length, a JSON header
(each tensor's dtype, shape and byte range, plus string metadata) and the raw
tensor bytes. Loading it parses JSON and copies bytes; it cannot run code.

A model's ``state_dict`` (names → tensors) is stored as plain tensors under its
keys, so ``safetensors.torch.load_file`` reads our files and we read theirs.
Anything else an optimizer's state dict holds (nested dicts with int keys,
lists, ints, floats, strings, None) is kept in the header's metadata as JSON
under ``"backprop"``, with each tensor stored under its dotted path.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import IO, Any

from .backends import xp
from .tensor import Tensor

__all__ = ["SerializationError", "save", "load"]

_STRUCTURE_KEY = "backprop"
_NUMPY_DTYPES = {"BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64", "F16", "F32",
                 "F64"}
_MAX_HEADER = 100_000_000  # the safetensors reference implementation's limit


class SerializationError(ValueError):
    """A file that ``bp.load`` cannot read: not safetensors, truncated, or corrupt."""


class _MissingFileError(SerializationError, FileNotFoundError):
    """``bp.load`` on a path that does not exist (also a ``FileNotFoundError``)."""


# --- save -----------------------------------------------------------------------------
class _Encoder:
    """Turns a nested state into tensors (by dotted path) and a JSON-able tree.

    Tree nodes: ``{"t": name}`` a tensor, ``{"v": x}`` a JSON scalar, ``{"l": [...]}`` a
    list, ``{"u": [...]}`` a tuple, ``{"d": [[key, node], ...]}`` a dict (keys may be ints).
    """

    def __init__(self) -> None:
        self.tensors: dict[str, Any] = {}

    def encode(self, value: Any, path: list[str]) -> dict[str, Any]:
        if isinstance(value, Tensor | xp.ndarray):
            array = value.data if isinstance(value, Tensor) else value
            return {"t": self._store(xp.asarray(array, order="C"), path)}
        if isinstance(value, xp.generic):
            value = value.item()
        if value is None or isinstance(value, bool | int | float | str):
            return {"v": value}
        if isinstance(value, dict):
            items = []
            for key, item in value.items():
                if not (key is None or isinstance(key, bool | int | float | str)):
                    raise TypeError(
                        f"bp.save: dict key {key!r} at {'.'.join(path) or 'top level'} is a "
                        f"{type(key).__name__}; keys must be str, int, float, bool or None"
                    )
                items.append([key, self.encode(item, [*path, str(key)])])
            return {"d": items}
        if isinstance(value, list | tuple):
            nodes = [self.encode(item, [*path, str(i)]) for i, item in enumerate(value)]
            return {"l" if isinstance(value, list) else "u": nodes}
        raise TypeError(
            f"bp.save: cannot store a {type(value).__name__} at {'.'.join(path) or 'top level'}; "
            "state dicts hold Tensors, arrays, numbers, strings, None, lists, tuples and dicts"
        )

    def _store(self, array: Any, path: list[str]) -> str:
        name = ".".join(path) or "tensor"
        unique, n = name, 1
        while unique in self.tensors or unique == "__metadata__":
            unique, n = f"{name}#{n}", n + 1
        self.tensors[unique] = array
        return unique


def _is_flat(state: Any) -> bool:
    """A plain ``{str: tensor}`` dict: the file needs no structure to be read back."""
    return isinstance(state, dict) and all(
        isinstance(k, str) and k != "__metadata__" and isinstance(v, Tensor | xp.ndarray)
        for k, v in state.items()
    )


def _serialize(state: Any, metadata: dict[str, str] | None) -> bytes:
    import safetensors.numpy

    encoder = _Encoder()
    tree = encoder.encode(state, [])
    header = {"format": "pt", **(metadata or {})}
    # a flat state_dict needs only its keys' order; anything else, the whole tree
    structure = {"keys": list(encoder.tensors)} if _is_flat(state) else tree
    header[_STRUCTURE_KEY] = json.dumps(structure, separators=(",", ":"))
    for name, array in encoder.tensors.items():
        if array.dtype.kind not in "biuf":
            raise TypeError(
                f"bp.save: tensor {name!r} has dtype {array.dtype}, which safetensors cannot store"
            )
    try:
        return safetensors.numpy.save(encoder.tensors, metadata=header)
    except Exception as error:  # an unsupported dtype, say
        raise TypeError(f"bp.save: safetensors cannot store this state: {error}") from None


def save(obj: Any, f: str | os.PathLike[str] | IO[bytes],
         metadata: dict[str, str] | None = None) -> None:
    """Write ``obj`` (a state dict) to ``f`` in the safetensors format.

    Args:
        obj: a ``module.state_dict()`` or ``optimizer.state_dict()``: Tensors or arrays,
            numbers, strings, None, and lists/tuples/dicts of them.
        f: a path, or a binary file object opened for writing.
        metadata: extra strings to keep in the file's header.

    A path is written atomically: the bytes go to a temporary file in the same
    folder, which is flushed to disk and then renamed over ``f``; a crash
    leaves the old file or the new one, never half of one.

    Example::

        >>> import backprop as bp, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
        >>> bp.save(bp.nn.Linear(2, 1).state_dict(), path)
        >>> sorted(bp.load(path))
        ['bias', 'weight']
    """
    data = _serialize(obj, metadata)
    if hasattr(f, "write"):
        f.write(data)  # type: ignore[union-attr]
        return
    path = Path(os.fspath(f))  # type: ignore[arg-type]
    temporary = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    # os.open with mode 0o666 lets the umask decide the permissions, as open() would
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        folder = os.open(path.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory descriptors
        return
    try:
        os.fsync(folder)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(folder)


# --- load -----------------------------------------------------------------------------
def _read(f: Any) -> tuple[bytes, str]:
    if hasattr(f, "read"):
        return f.read(), getattr(f, "name", "<file object>")
    path = Path(os.fspath(f))
    try:
        return path.read_bytes(), str(path)
    except FileNotFoundError:
        raise _MissingFileError(f"bp.load: no such file: {path}") from None
    except IsADirectoryError:
        raise SerializationError(f"bp.load: {path} is a directory, not a file") from None


def _check(data: bytes, name: str) -> dict[str, Any]:
    """The header of a well-formed safetensors file; else a SerializationError saying why."""
    if data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        raise SerializationError(
            f"bp.load: {name} is a pickle file (torch.save's legacy format or pickle.dump); "
            "backprop never unpickles, since loading a pickle can run any code. Convert it "
            "where you trust it: safetensors.torch.save_file(torch.load(path), 'x.safetensors')"
        )
    if data[:4] == b"PK\x03\x04":
        raise SerializationError(
            f"bp.load: {name} is a zip archive (torch.save's format, which holds a pickle); "
            "backprop never unpickles. Convert it where you trust it: "
            "safetensors.torch.save_file(torch.load(path), 'x.safetensors')"
        )
    if len(data) < 8:
        raise SerializationError(
            f"bp.load: {name} is {len(data)} bytes long: too short for a safetensors file "
            "(empty or truncated)"
        )
    size = int.from_bytes(data[:8], "little")
    if size > _MAX_HEADER or data[8:9] != b"{":
        raise SerializationError(f"bp.load: {name} is not a safetensors file (no JSON header)")
    if 8 + size > len(data):
        raise SerializationError(
            f"bp.load: {name} is truncated: its header needs {size} bytes, "
            f"the file has {len(data) - 8} after the length field"
        )
    try:
        header = json.loads(data[8:8 + size])
        if not isinstance(header, dict):
            raise ValueError("the header is not a JSON object")
        end = max((int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"),
                  default=0)
        dtypes = {k: v["dtype"] for k, v in header.items() if k != "__metadata__"}
    except (ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError) as error:
        raise SerializationError(
            f"bp.load: {name} is not a safetensors file (bad header: {error})"
        ) from None
    if len(data) - 8 - size < end:
        raise SerializationError(
            f"bp.load: {name} is truncated: its header describes {end} bytes of tensor data, "
            f"the file has {len(data) - 8 - size}"
        )
    for key, dtype in dtypes.items():
        if dtype not in _NUMPY_DTYPES:
            raise SerializationError(
                f"bp.load: tensor {key!r} in {name} has dtype {dtype}, which NumPy cannot hold; "
                "convert it to float32 before saving"
            )
    return header


def _decode(node: Any, tensors: dict[str, Tensor]) -> Any:
    (kind, value), = node.items()
    if kind == "t":
        return tensors[value]
    if kind == "v":
        return value
    if kind == "l":
        return [_decode(item, tensors) for item in value]
    if kind == "u":
        return tuple(_decode(item, tensors) for item in value)
    if kind == "d":
        return {key: _decode(item, tensors) for key, item in value}
    raise ValueError(f"unknown node {kind!r}")


def load(f: str | os.PathLike[str] | IO[bytes], map_location: Any = None) -> Any:
    """Read a file written by :func:`save` (or any safetensors file) without unpickling.

    Returns the saved object: for a ``state_dict``, a dict of name → Tensor that
    ``module.load_state_dict`` takes; a file from another tool gives its tensors by name.
    ``map_location`` is accepted for PyTorch compatibility (everything lives on the CPU).

    Raises:
        SerializationError (a ``ValueError``): the file is a pickle or zip
            (``torch.save``), truncated, or not safetensors; the message names the file.
            A missing file raises one that is also a ``FileNotFoundError``.
    """
    import safetensors.numpy

    data, name = _read(f)
    header = _check(data, name)
    try:
        arrays = safetensors.numpy.load(data)
    except Exception as error:  # SafetensorError: overlapping or misaligned offsets, ...
        raise SerializationError(
            f"bp.load: {name} is not a valid safetensors file: {error}"
        ) from None
    tensors = {key: Tensor._make(arrays[key]) for key in header if key != "__metadata__"}
    structure = (header.get("__metadata__") or {}).get(_STRUCTURE_KEY)
    if structure is None:
        return tensors
    try:
        tree = json.loads(structure)
        if isinstance(tree, dict) and set(tree) == {"keys"}:
            return {key: tensors[key] for key in tree["keys"]}
        return _decode(tree, tensors)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise SerializationError(
            f"bp.load: {name} has corrupt backprop metadata ({type(error).__name__}: {error})"
        ) from None
