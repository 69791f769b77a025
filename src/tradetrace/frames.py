"""Typed results as tables: Arrow first, then pandas or polars.

A result's table (an exposure's ``by_origin_country``, a screening's matches, a search's
hits) is a list of :class:`~tradetrace.result.Result` rows. Its Arrow schema is derived
from the row model's annotations, so a table has the same columns and types whether it
has a thousand rows or none, and the JSON a row gives (``to_json``) is what goes in:

===================== ============== ==========================
annotation            Arrow          pandas (``to_pandas``)
===================== ============== ==========================
``str``               ``string``     ``string``
``int``               ``int64``      ``Int64`` (nullable)
``float``             ``float64``    ``float64`` (null: NaN)
``bool``              ``bool``       ``boolean`` (nullable)
``datetime.date``     ``date32``     ``datetime64[ms]``
``datetime.datetime`` ``timestamp``  ``datetime64[us]``
``list[X]``           ``list<X>``    ``object`` (Python lists)
a nested result       ``struct``     ``object`` (dicts)
anything else         ``string``     ``string`` (its JSON text)
===================== ============== ==========================

Column names are the JSON keys (``from``, not ``from_``). polars is optional: ``to_polars``
says how to install it when it is missing.
"""

from __future__ import annotations

import datetime as dt
import json
import types
import typing
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from tradetrace.errors import InputError
from tradetrace.result import Result

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["arrow_schema", "rows_to_arrow", "to_pandas", "to_polars"]

_SCALARS: dict[Any, pa.DataType] = {
    str: pa.string(),
    int: pa.int64(),
    float: pa.float64(),
    bool: pa.bool_(),
    dt.date: pa.date32(),
    dt.datetime: pa.timestamp("us"),
}


def _arrow_type(annotation: Any) -> tuple[pa.DataType, bool]:
    """The Arrow type of an annotation, and whether it is kept as JSON text."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _arrow_type(inner[0]) if len(inner) == 1 else (pa.string(), True)
    if origin is typing.Literal:
        return pa.string(), False
    if origin in (list, tuple, Sequence) and typing.get_args(annotation):
        item, as_text = _arrow_type(typing.get_args(annotation)[0])
        return (pa.string(), True) if as_text else (pa.list_(item), False)
    if isinstance(annotation, type) and issubclass(annotation, Result):
        return pa.struct(arrow_schema(annotation)), False
    if annotation in _SCALARS:
        return _SCALARS[annotation], False
    return pa.string(), True


def _fields(model: type[Result]) -> list[tuple[str, Any]]:
    """Each field's JSON key and resolved annotation, in declaration order."""
    hints = typing.get_type_hints(model)
    return [(info.alias or name, hints[name]) for name, info in model.model_fields.items()]


def arrow_schema(model: type[Result]) -> pa.Schema:
    """The Arrow schema of a table of ``model`` rows (see the module's table)."""
    return pa.schema([pa.field(key, _arrow_type(hint)[0]) for key, hint in _fields(model)])


def rows_to_arrow(rows: Sequence[Result], model: type[Result]) -> pa.Table:
    """``rows`` (each a ``model``) as an Arrow table of the model's schema."""
    texts = [key for key, hint in _fields(model) if _arrow_type(hint)[1]]
    records = []
    for row in rows:
        record = row.model_dump(by_alias=True)  # dates stay dates, nested rows dicts
        if texts:
            data = row.to_json()
            for key in texts:
                value = data.get(key)
                record[key] = None if value is None else json.dumps(value, ensure_ascii=False)
        records.append(record)
    return pa.Table.from_pylist(records, schema=arrow_schema(model))


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as pandas, with the nullable dtypes of the module's table."""
    import pandas as pd

    mapping = {
        pa.int64(): pd.Int64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
        pa.string(): pd.StringDtype(),
    }
    frame = table.to_pandas(types_mapper=mapping.get, date_as_object=True)
    for field in table.schema:  # days in a column of their own become datetimes; in
        if field.type == pa.date32():  # nested rows they stay datetime.date
            frame[field.name] = frame[field.name].astype("datetime64[ms]")
    return frame


def to_polars(table: pa.Table) -> Any:
    """An Arrow table as polars (optional: ``pip install polars``)."""
    try:
        import polars as pl
    except ImportError:
        raise InputError("to_polars needs polars: pip install polars") from None
    return pl.from_arrow(table)
