"""A batch of a statistics file's rows as text cells, and their reading into typed columns.

The readers of each source work on whole columns (a Comext bulk file has millions of rows),
but a cell that cannot be read must stop the load with one line naming the file, the data
row and the column, as ingest's errors do. :class:`Cells` does both: it reads a column's
distinct values once each and, when one fails, finds the first row that holds it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from tradetrace.errors import InputError
from tradetrace.ingest.readers import SOURCE_ROW

__all__ = ["NUMBER", "Cells"]

T = TypeVar("T")

#: A plain decimal number as statistics files write them ("982972", "0.001435", "1.2E+07").
NUMBER = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


class Cells:
    """One batch of rows (``c0 … cN`` text columns and ``_source_row``, as ingest's readers
    give them) with the file's header, so columns are asked for by name."""

    def __init__(self, file: str, header: list[str], batch: pa.RecordBatch):
        self.file = file
        self.header = header
        self.batch = batch
        # headers differ in case between downloads of the same source ("period", "PERIOD")
        self._index = {name.lower(): i for i, name in enumerate(header)}

    def __len__(self) -> int:
        return self.batch.num_rows

    @property
    def rows(self) -> pa.Array:
        """The data row number (1-based, the header not counted) of each row."""
        return self.batch.column(SOURCE_ROW)

    def has(self, name: str) -> bool:
        return name.lower() in self._index

    def name(self, name: str) -> str:
        """The header as the file writes it."""
        return self.header[self._index[name.lower()]]

    def text(self, name: str) -> pa.Array:
        """A column's cells, blanks around them removed."""
        return pc.utf8_trim_whitespace(self.batch.column(self._index[name.lower()]))

    def fail(self, index: int, column: str, message: str) -> NoReturn:
        """Stop the load at the batch's ``index``-th row, naming its row and column."""
        row = self.rows[index].as_py()
        raise InputError(f"{self.file}: row {row}, column {column!r}: {message}")

    def first(self, mask: pa.Array) -> int:
        """The index of the first row where ``mask`` is true."""
        return int(pc.index(mask, True).as_py())

    def mapped(
        self,
        name: str,
        read: Callable[[str], T],
        type_: pa.DataType,
        values: pa.Array | None = None,
    ) -> pa.Array:
        """``read`` of each cell of a column (or of ``values``, cells already taken from it),
        run once per distinct value; a ``ValueError`` names the first row holding the value."""
        cells = self.text(name) if values is None else values
        distinct = pc.unique(cells)
        results = []
        for value in distinct.to_pylist():
            try:
                results.append(read(value))
            except ValueError as exc:
                self.fail(self.first(pc.equal(cells, value)), self.name(name), str(exc))
        return pa.array(results, type_).take(pc.index_in(cells, distinct))

    def numbers(self, name: str, blank_ok: bool = False) -> pa.Array:
        """A column's cells as float64 (a blank as null when ``blank_ok``); anything else
        but a plain decimal number names its row."""
        cells = self.text(name)
        blank = pc.equal(cells, "")
        good = pc.match_substring_regex(cells, NUMBER)
        if blank_ok:
            good = pc.or_(good, blank)
        if len(cells) and not pc.all(good).as_py():
            index = self.first(pc.invert(good))
            cell = cells[index].as_py()
            problem = "blank" if cell == "" else f"{cell!r} is not a number"
            self.fail(index, self.name(name), f"{problem}: expected the trade value")
        return pc.cast(pc.if_else(blank, pa.scalar(None, pa.string()), cells), pa.float64())
