"""A dataset read from a CSV file: numeric feature columns and one target column."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...backends import xp
from ...tensor import Tensor
from ..dataset import TensorDataset


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class CSVDataset(TensorDataset):
    """Rows of a CSV file as samples ``(features, target)``.

    Args:
        path: the CSV file.
        target_column: the target's column, by index (negative counts from the end) or
            by header name; ``None`` for no target (samples are ``(features,)``).
        header: ``True``/``False``, or ``"infer"``: the first row is a header when one
            of its cells is not a number.
        delimiter: the field separator.
        dtype: the features' dtype (float32).
        target_dtype: the target's dtype; by default int64 when every target is a whole
            number, float32 otherwise. Non-numeric targets are class names: they become
            int64 indices into ``classes`` (sorted).

    Attributes: ``columns`` (header names, or None), ``feature_names``, ``classes``.

    Example::

        >>> ds = CSVDataset("iris.csv", target_column="species")   # doctest: +SKIP
        >>> features, label = ds[0]                                # doctest: +SKIP
    """

    def __init__(self, path: str | Path, target_column: int | str | None = -1,
                 header: bool | str = "infer", delimiter: str = ",", dtype: Any = xp.float32,
                 target_dtype: Any = None) -> None:
        self.path = Path(path)
        with open(self.path, newline="", encoding="utf-8") as file:
            reader = csv.reader(file, delimiter=delimiter)
            rows = [(number, row) for number, row in enumerate(reader, start=1) if row]
        if not rows:
            raise ValueError(f"{self.path}: the CSV file is empty")
        if header == "infer":
            header = not all(_is_number(cell) for cell in rows[0][1])
        self.columns: list[str] | None = [c.strip() for c in rows[0][1]] if header else None
        if header:
            rows = rows[1:]
        if not rows:
            raise ValueError(f"{self.path}: the CSV file has a header but no data rows")
        width = len(self.columns) if self.columns else len(rows[0][1])
        for number, row in rows:
            if len(row) != width:
                raise ValueError(f"{self.path}, line {number}: {len(row)} fields, expected {width}")
        target = self._target_index(target_column, width)
        names = self.columns or [str(i) for i in range(width)]
        feature_index = [i for i in range(width) if i != target]
        self.feature_names = [names[i] for i in feature_index]
        self.classes: list[str] | None = None
        cells = xp.array([row for _, row in rows], dtype=str)
        features = self._numbers(cells[:, feature_index], rows, feature_index, names, dtype)
        tensors = [Tensor._make(features)]
        if target is not None:
            tensors.append(Tensor._make(self._targets(cells[:, target], rows, target, names,
                                                      target_dtype)))
        super().__init__(*tensors)

    def _target_index(self, target_column: int | str | None, width: int) -> int | None:
        if target_column is None:
            return None
        if isinstance(target_column, str):
            if self.columns is None or target_column not in self.columns:
                raise ValueError(
                    f"{self.path}: no column named {target_column!r}; columns: {self.columns}"
                )
            return self.columns.index(target_column)
        if not -width <= target_column < width:
            raise ValueError(
                f"{self.path}: target_column {target_column} is out of range for {width} columns"
            )
        return target_column % width

    def _numbers(self, cells: Any, rows: Sequence[Any], columns: list[int], names: list[str],
                 dtype: Any) -> Any:
        try:
            return xp.char.strip(cells).astype(xp.float64).astype(dtype)
        except ValueError:
            pass
        for r, c in zip(*xp.nonzero(~xp.vectorize(_is_number, otypes=[bool])(cells)), strict=True):
            raise ValueError(
                f"{self.path}, line {rows[r][0]}, column {names[columns[c]]!r}: "
                f"{str(cells[r, c])!r} is not a number"
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def _targets(self, cells: Any, rows: Sequence[Any], column: int, names: list[str],
                 target_dtype: Any) -> Any:
        cells = xp.char.strip(cells)
        if not all(_is_number(cell) for cell in cells):
            if (cells == "").any():
                line = rows[int(xp.flatnonzero(cells == "")[0])][0]
                raise ValueError(f"{self.path}, line {line}: the target {names[column]!r} is empty")
            classes, codes = xp.unique(cells, return_inverse=True)
            self.classes = classes.tolist()
            return codes.astype(target_dtype or xp.int64)
        values = cells.astype(xp.float64)
        if target_dtype is None:
            whole = xp.isfinite(values).all() and (values == xp.round(values)).all()
            target_dtype = xp.int64 if whole else xp.float32
        return values.astype(target_dtype)
