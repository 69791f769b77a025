"""Render :class:`LineBlock` s as encoded CSV bytes, Russian-export style, without a row loop.

Formatting ``1 234 567,89`` and ``15.03.2018`` row by row in Python caps out far below the
150k rows/s target. Instead numbers, dates and declaration numbers are laid out as byte
matrices with numpy (one column per character position, a mask for the characters each row
keeps) and packed straight into Arrow binary arrays; text columns are taken from the
string table, quoted and encoded once per distinct string; one Arrow join makes the lines.
Nothing is decoded or re-encoded per row, so the cp1251 file costs the same as the UTF-8 one.
The output is what the ``csv`` module would write (minimal quoting, CRLF line ends), which
the tests check by reading the files back with it.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tradetrace.sample.block import BLANK, NO_AMOUNT, LineBlock, Strings

#: The header, in order; every name is an alias in ``ingest/profiles/ru_customs.yaml``.
HEADER: tuple[str, ...] = (
    "Номер ДТ",
    "№ товара",
    "Дата ДТ",
    "Направление",
    "Получатель",
    "ИНН получателя",
    "Адрес получателя",
    "Отправитель",
    "Адрес отправителя",
    "Страна отправителя",
    "Страна происхождения",
    "Страна отправления",
    "Торгующая страна",
    "Код ТН ВЭД",
    "Описание товара",
    "Производитель",
    "Товарный знак",
    "Количество",
    "Единица измерения",
    "Вес брутто, кг",
    "Вес нетто, кг",
    "Фактурная стоимость",
    "Валюта",
    "Статистическая стоимость, USD",
)
LINE_END = "\r\n"
DIRECTION_IMPORT = "ИМ"
NBSP = "\u00a0"
#: Appended after an unquoted delimiter to a malformed line's description.
MALFORMED_TAIL = "ПРОЧЕЕ"
POST_DIGITS, SEQ_DIGITS = 8, 7
_SPACE, _QUOTE = ord(" "), ord('"')
#: ASCII digits of 000..999, to turn three digits per division into characters.
_DIGITS3 = np.array([list(f"{i:03d}".encode()) for i in range(1000)], dtype=np.uint8)


@dataclass(frozen=True)
class Dialect:
    """How one output file is written."""

    encoding: str  # "utf-8" or "cp1251"
    delimiter: str


def encode_or_none(text: str, encoding: str) -> bytes | None:
    """``text`` encoded, or None (a null cell) if the encoding cannot hold it (Hangul in cp1251)."""
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return None


def binary_array(items: list[bytes | None]) -> pa.Array:
    """An Arrow binary array (None = null), assembled from numpy buffers in one pass."""
    valid = np.fromiter((b is not None for b in items), dtype=bool, count=len(items))
    lengths = np.fromiter((len(b) if b else 0 for b in items), dtype=np.int64, count=len(items))
    offsets = np.zeros(len(items) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    data = b"".join(b for b in items if b)
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(
        pa.binary(), len(items), [bitmap, pa.py_buffer(offsets), pa.py_buffer(data)],
        null_count=int((~valid).sum()),
    )  # fmt: skip


def cell_table(values: list[str], dialect: Dialect) -> pa.Array:
    """Every string CSV-quoted where needed (delimiter, quote, line break) and encoded."""
    needs_quotes = re.compile("[" + re.escape(dialect.delimiter) + '"\r\n]').search
    return binary_array(
        [
            encode_or_none(
                '"' + v.replace('"', '""') + '"' if needs_quotes(v) else v, dialect.encoding
            )
            for v in values
        ]
    )


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded ASCII digits of non-negative integers, one column per position."""
    groups = []
    rest = values
    for _ in range(-(-width // 3)):
        rest, group = np.divmod(rest, 1000)
        groups.append(_DIGITS3[group])
    return np.concatenate(groups[::-1], axis=1)[:, 3 * len(groups) - width :]


def pack(chars: np.ndarray, keep: np.ndarray) -> pa.Array:
    """Binary array of each row's kept characters (``chars``/``keep``: rows x positions)."""
    lengths = keep.sum(axis=1, dtype=np.int64)
    offsets = np.zeros(len(chars) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    data = np.ascontiguousarray(chars)[keep]
    return pa.Array.from_buffers(
        pa.binary(), len(chars), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


class NumberFormat:
    """Fixed-point numbers as ``1 234 567,89`` (space or no-break space between groups)."""

    def __init__(self, encoding: str, quote_decimals: bool):
        self.nbsp = NBSP.encode(encoding)  # 1 byte in cp1251, 2 in UTF-8
        self.quote_decimals = quote_decimals  # the decimal comma is also the delimiter

    def __call__(
        self,
        scaled: np.ndarray,
        decimals: int,
        nbsp: np.ndarray,
        fraction: np.ndarray | None = None,
    ) -> pa.Array:
        """``scaled`` = value * 10**decimals, ``NO_AMOUNT`` = empty cell; ``fraction`` = rows
        that show decimals (default all)."""
        n = scaled.size
        filled = scaled != NO_AMOUNT
        value = np.where(filled, scaled, 0)
        whole, frac = np.divmod(value, 10**decimals)
        width = max(1, len(str(int(whole.max())))) if n else 1
        first = width - 1 - (whole[:, None] >= 10 ** np.arange(1, width, dtype=np.int64)).sum(1)
        shown = filled if fraction is None else filled & fraction
        quoted = shown & self.quote_decimals if decimals else np.zeros(n, dtype=bool)

        chars, keep = [np.full(n, _QUOTE, np.uint8)], [quoted]
        number = digits(whole, width)
        for j in range(width):
            if j and (width - j) % 3 == 0:
                grouped = filled & (j > first)
                for k, byte in enumerate(self.nbsp):
                    chars.append(np.where(nbsp, byte, _SPACE if k == 0 else 0).astype(np.uint8))
                    keep.append(grouped if k == 0 else grouped & nbsp)
            chars.append(number[:, j])
            keep.append(filled & (j >= first))
        if decimals:
            chars.append(np.full(n, ord(","), np.uint8))
            keep.append(shown)
            fraction_digits = digits(frac, decimals)
            for j in range(decimals):
                chars.append(fraction_digits[:, j])
                keep.append(shown)
        chars.append(np.full(n, _QUOTE, np.uint8))
        keep.append(quoted)
        return pack(np.stack(chars, axis=1), np.stack(keep, axis=1))


def date_parts(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of days since 1970-01-01."""
    d = days.astype("datetime64[D]")
    years = d.astype("datetime64[Y]")
    months = d.astype("datetime64[M]")
    year = years.astype(np.int64) + 1970
    month = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    day = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def _fixed(*parts: np.ndarray | str, n: int) -> pa.Array:
    """Fixed-width ASCII cells from digit matrices and literal separators."""
    columns = [
        np.tile(np.frombuffer(p.encode("ascii"), np.uint8), (n, 1)) if isinstance(p, str) else p
        for p in parts
    ]
    chars = np.concatenate(columns, axis=1)
    return pack(chars, np.ones(chars.shape, dtype=bool))


class Renderer:
    """Turns blocks into encoded CSV lines for one dialect."""

    def __init__(self, strings: Strings, dialect: Dialect, whole_units: np.ndarray):
        self.dialect = dialect
        enc, delim = dialect.encoding, dialect.delimiter
        self.texts = strings.values
        self.quoted = cell_table(strings.values, dialect)
        self.whole_units = whole_units
        self.number = NumberFormat(enc, quote_decimals=delim == ",")
        self.delimiter = delim.encode(enc)
        self.direction = pa.scalar(DIRECTION_IMPORT.encode(enc), pa.binary())
        self.line_end = pa.scalar(LINE_END.encode(enc), pa.binary())
        self.empty = pa.scalar(b"", pa.binary())

    def _broken(self, descriptions: np.ndarray) -> pa.Array:
        """Descriptions left unquoted with a delimiter inside: one field too many."""
        d = self.dialect
        return binary_array(
            [
                f"{self.texts[i]}{d.delimiter}{MALFORMED_TAIL}".encode(d.encoding)
                for i in descriptions
            ]
        )

    def header(self) -> bytes:
        out = io.StringIO()
        csv.writer(out, delimiter=self.dialect.delimiter, lineterminator=LINE_END).writerow(HEADER)
        return out.getvalue().encode(self.dialect.encoding)

    def columns(self, block: LineBlock) -> list[pa.Array | pa.Scalar]:
        """The cells of every line, one Arrow array (or constant) per header column."""
        n, q, number = len(block), self.quoted, self.number
        year, month, day = date_parts(block.date)
        dd, mm = digits(day, 2), digits(month, 2)
        date = _fixed(dd, ".", mm, ".", digits(year, 4), n=n)
        if (block.date_text != BLANK).any():
            date = pc.if_else(block.date_text != BLANK, q.take(block.date_text), date)
        declaration = _fixed(
            digits(block.post, POST_DIGITS), "/", dd, mm, digits(year % 100, 2), "/",
            digits(block.seq, SEQ_DIGITS), n=n,
        )  # fmt: skip
        description = q.take(block.description)
        if block.malformed.any():
            description = pc.replace_with_mask(
                description, block.malformed, self._broken(block.description[block.malformed])
            )
        no_groups = np.zeros(n, dtype=bool)
        whole = np.isin(block.unit, self.whole_units)
        return [
            declaration,
            number(block.line_no, 0, no_groups),
            date,
            self.direction,
            q.take(block.importer),
            q.take(block.inn),
            q.take(block.importer_address),
            q.take(block.exporter),
            q.take(block.exporter_address),
            q.take(block.exporter_country),
            q.take(block.origin_country),
            q.take(block.dispatch_country),
            q.take(block.trading_country),
            q.take(block.hs_code),
            description,
            q.take(block.manufacturer),
            q.take(block.brand),
            number(block.quantity_milli, 3, block.nbsp, fraction=~whole),
            q.take(block.unit),
            number(block.gross_milli, 3, block.nbsp),
            number(block.net_milli, 3, block.nbsp),
            number(block.value_cents, 2, block.nbsp),
            q.take(block.currency),
            number(block.usd_cents, 2, block.nbsp),
        ]

    def render(self, block: LineBlock) -> bytes:
        """The block as encoded CSV lines (no header)."""
        if not len(block):
            return b""
        lines = pc.binary_join_element_wise(*self.columns(block), self.delimiter)
        lines = pc.binary_join_element_wise(lines, self.empty, self.line_end)
        if lines.null_count:  # a cell the file's encoding cannot hold: a generator bug
            raise ValueError(f"text not encodable in {self.dialect.encoding} in a line")
        _, offsets, data = lines.buffers()
        ends = np.frombuffer(offsets, dtype=np.int32)[[lines.offset, lines.offset + len(lines)]]
        return bytes(memoryview(data)[ends[0] : ends[1]])
