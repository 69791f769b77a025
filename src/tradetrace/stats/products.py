"""Product codes and their level: ``TOTAL`` for all goods, else the HS (or CN) code as written.

Sources write total goods differently ("Total", "TOTAL") and detail at different depths
(Comext CN8, Comtrade HS2/4/6). ``product_level`` says which, so that an analysis never adds
a chapter to the headings inside it, or a total to its parts.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["TOTAL", "product_code", "product_levels"]

TOTAL = "TOTAL"
#: The levels of an all-digit code, by its length (an even number of digits from 2 to 12).
_DIGITS = r"^[0-9]{2}(?:[0-9]{2}){0,5}$"


def product_code(text: str) -> str:
    """``TOTAL`` for total goods ("Total", "TOTAL"), else the code as written."""
    if not text:
        raise ValueError("blank: expected a product code or Total")
    return TOTAL if text.upper() == TOTAL else text


def product_levels(codes: pa.Array) -> pa.Array:
    """``total``; ``hs2``, ``hs4``, ``hs6``, ``hs8`` (Comext's CN8) … by the number of digits;
    ``other`` for anything else (Comext's confidential codes such as ``99RRR100``, a code
    that lost its leading zero in a spreadsheet)."""
    digits = pc.match_substring_regex(codes, _DIGITS)
    level = pc.binary_join_element_wise("hs", pc.cast(pc.utf8_length(codes), pa.string()), "")
    return pc.if_else(
        pc.equal(codes, TOTAL), "total", pc.if_else(digits, level, pa.scalar("other"))
    )
