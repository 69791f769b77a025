"""Declaration lines as columns of numbers: the form every generator step produces.

Text is interned once in a :class:`Strings` table and lines refer to it by index. A month of
background lines is then a handful of numpy arrays, the AURUS scenario and the background go
through the same renderer, and CSV quoting is done once per distinct string instead of once
per cell, which is what makes ten million lines a minute's work.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

import numpy as np

#: Index of the empty string in every :class:`Strings` table (a blank cell).
BLANK = 0
#: Amount meaning "cell left empty" in the value columns.
NO_AMOUNT = -1


class Strings:
    """Append-only table of distinct strings; index 0 is the empty string."""

    def __init__(self) -> None:
        self.values: list[str] = [""]
        self._index: dict[str, int] = {"": BLANK}

    def __len__(self) -> int:
        return len(self.values)

    def add(self, text: str) -> int:
        index = self._index.get(text)
        if index is None:
            index = self._index[text] = len(self.values)
            self.values.append(text)
        return index

    def add_all(self, texts: Iterable[str]) -> np.ndarray:
        return np.array([self.add(t) for t in texts], dtype=np.int32)


@dataclass
class LineBlock:
    """Declaration lines; text columns hold :class:`Strings` indices.

    ``date`` is days since 1970-01-01, ``post`` the customs post code, ``seq`` the
    declaration's serial number (together: ``post/ddmmyy/seq``); quantities and weights are
    in thousandths, money in cents (``NO_AMOUNT`` = empty cell). ``date_text`` overrides the
    rendered date when not ``BLANK`` (the ``bad_date`` defect); ``malformed`` lines get an
    extra field; ``defect`` is 0 or 1 + the index of the defect kind, for bookkeeping only.
    """

    date: np.ndarray
    post: np.ndarray
    seq: np.ndarray
    line_no: np.ndarray
    importer: np.ndarray
    inn: np.ndarray
    importer_address: np.ndarray
    exporter: np.ndarray
    exporter_address: np.ndarray
    exporter_country: np.ndarray
    origin_country: np.ndarray
    dispatch_country: np.ndarray
    trading_country: np.ndarray
    hs_code: np.ndarray
    description: np.ndarray
    manufacturer: np.ndarray
    brand: np.ndarray
    quantity_milli: np.ndarray
    unit: np.ndarray
    gross_milli: np.ndarray
    net_milli: np.ndarray
    value_cents: np.ndarray
    currency: np.ndarray
    usd_cents: np.ndarray
    nbsp: np.ndarray
    date_text: np.ndarray
    malformed: np.ndarray
    defect: np.ndarray

    def __len__(self) -> int:
        return len(self.date)

    def take(self, index: np.ndarray) -> LineBlock:
        return LineBlock(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @staticmethod
    def concat(blocks: Sequence[LineBlock]) -> LineBlock:
        return LineBlock(
            **{
                f.name: np.concatenate([getattr(b, f.name) for b in blocks])
                for f in fields(LineBlock)
            }
        )
