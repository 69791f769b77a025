"""Results for notebooks: every table a data frame, every figure as the reports write it.

A :class:`View` wraps one typed result (an exposure, a screening run, a diversion …). Its
attributes are the result's: a scalar or a nested result comes back as it is, a table (a
list of rows) comes back as a pandas data frame (:mod:`tradetrace.frames` gives the
columns and dtypes), except the lists meant to be read item by item (an exposure's
``findings``), which stay lists. ``to_arrow``, ``to_pandas`` and ``to_polars`` give any
table by name; ``to_json`` gives the JSON of the CLI's ``--json``; in Jupyter a view shows
itself as HTML tables whose money is written by :mod:`tradetrace.formatting`, as in the
reports.
"""

from __future__ import annotations

import html
import types
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import pyarrow as pa

from tradetrace import formatting
from tradetrace.errors import InputError
from tradetrace.frames import rows_to_arrow, to_pandas, to_polars
from tradetrace.result import Result

if TYPE_CHECKING:
    import altair as alt
    import pandas as pd

__all__ = ["Rows", "View", "table_fields"]

R = TypeVar("R", bound=Result)

#: Rows shown per table in a notebook (the data frame has them all).
HTML_ROWS = 10


def table_fields(model: type[Result]) -> dict[str, type[Result]]:
    """The fields of ``model`` that are tables: name → row model."""
    hints = typing.get_type_hints(model)
    out = {}
    for name in model.model_fields:
        hint = hints[name]
        if typing.get_origin(hint) in (typing.Union, types.UnionType):  # an optional table
            hint = next(a for a in typing.get_args(hint) if a is not type(None))
        if typing.get_origin(hint) in (list, tuple):
            [item, *_] = typing.get_args(hint) or (None,)
            if isinstance(item, type) and issubclass(item, Result):
                out[name] = item
    return out


class View(Generic[R]):
    """A typed result with its tables as data frames (see the module note)."""

    def __init__(
        self,
        result: R,
        keep: tuple[str, ...] = (),
        charts: dict[str, Callable[[], Any]] | None = None,
    ):
        self.result = result
        self._keep = keep
        self._charts = charts or {}
        self._tables = table_fields(type(result))

    @property
    def tables(self) -> list[str]:
        """The names of the result's tables."""
        return list(self._tables)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "result":
            raise AttributeError(name)
        if name in self._tables and name not in self._keep:
            return self.to_pandas(name)
        return getattr(self.result, name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(type(self.result).model_fields))

    def _table(self, name: str | None) -> str:
        if name is None:
            if len(self._tables) != 1:
                raise InputError(f"name a table: one of {', '.join(self._tables)}")
            return next(iter(self._tables))
        if name not in self._tables:
            raise InputError(f"{name!r} is not a table of this result: {', '.join(self._tables)}")
        return name

    def to_arrow(self, name: str | None = None) -> pa.Table:
        """A table as Arrow (``name`` may be left out when the result has one table)."""
        name = self._table(name)
        return rows_to_arrow(getattr(self.result, name) or [], self._tables[name])

    def to_pandas(self, name: str | None = None) -> pd.DataFrame:
        """A table as a pandas data frame (dtypes: :mod:`tradetrace.frames`)."""
        return to_pandas(self.to_arrow(name))

    def to_polars(self, name: str | None = None) -> Any:
        """A table as a polars data frame (needs ``pip install polars``)."""
        return to_polars(self.to_arrow(name))

    def to_json(self) -> dict[str, Any]:
        """The JSON of the CLI's ``--json`` for this result."""
        return self.result.to_json()

    def chart(self, name: str) -> alt.TopLevelMixin | None:
        """An Altair chart of the result, as the report draws it (``charts`` lists them);
        None when the result has nothing to draw there."""
        if name not in self._charts:
            raise InputError(f"no chart {name!r}: one of {', '.join(self._charts) or 'none'}")
        return self._charts[name]()

    @property
    def charts(self) -> list[str]:
        """The names ``chart`` takes."""
        return list(self._charts)

    def __repr__(self) -> str:
        scalars = ", ".join(f"{k}={v!r}" for k, v in _scalars(self.result)[:6])
        return f"<{type(self.result).__name__} {scalars}; tables: {', '.join(self._tables)}>"

    def _repr_html_(self) -> str:
        parts = [f"<h4>{html.escape(type(self.result).__name__)}</h4>"]
        scalars = _scalars(self.result)
        if scalars:
            cells = "".join(
                f"<tr><th>{html.escape(k)}</th><td>{html.escape(_cell(k, v))}</td></tr>"
                for k, v in scalars
            )
            parts.append(f"<table>{cells}</table>")
        for name in self._tables:
            rows = getattr(self.result, name) or []
            if name in self._keep:
                items = "".join(f"<li>{html.escape(_text(r))}</li>" for r in rows[:HTML_ROWS])
                parts.append(f"<p><b>{html.escape(name)}</b></p><ol>{items}</ol>")
            elif rows:
                parts.append(_html_table(name, [r.to_json() for r in rows]))
        return "\n".join(parts)


class Rows(list[R]):
    """A list of typed rows (alerts …) that also becomes a table."""

    def __init__(self, rows: list[R], model: type[R]):
        super().__init__(rows)
        self.model = model

    def to_arrow(self) -> pa.Table:
        """The rows as Arrow (columns and types: :mod:`tradetrace.frames`)."""
        return rows_to_arrow(self, self.model)

    def to_pandas(self) -> pd.DataFrame:
        """The rows as a pandas data frame."""
        return to_pandas(self.to_arrow())

    def to_polars(self) -> Any:
        """The rows as a polars data frame (needs ``pip install polars``)."""
        return to_polars(self.to_arrow())

    def to_json(self) -> list[dict[str, Any]]:
        """The JSON of the CLI's ``--json``."""
        return [row.to_json() for row in self]

    def _repr_html_(self) -> str:
        if not self:
            return f"<p>no {html.escape(self.model.__name__)} rows</p>"
        return _html_table(self.model.__name__, self.to_json())


def _scalars(result: Result) -> list[tuple[str, Any]]:
    data = result.to_json()
    return [(k, v) for k, v in data.items() if not isinstance(v, (list, dict))]


def _text(row: Result) -> str:
    return str(getattr(row, "text", None) or row.to_json())


def _cell(key: str, value: Any) -> str:
    """A figure as the reports write it: money whole dollars rounded down, shares in %."""
    if value is None:
        return formatting.DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) and (key.endswith("_usd") or key.startswith("value_usd")):
        return formatting.money(value)
    if isinstance(value, float) and key == "share":
        return formatting.share(value)
    if isinstance(value, int):
        return formatting.count(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value[:5]) + (" …" if len(value) > 5 else "")
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _html_table(name: str, rows: list[dict]) -> str:
    head = "".join(f"<th>{html.escape(k)}</th>" for k in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(k, v))}</td>" for k, v in row.items()) + "</tr>"
        for row in rows[:HTML_ROWS]
    )
    more = f"<p>{len(rows) - HTML_ROWS:,} more rows</p>" if len(rows) > HTML_ROWS else ""
    return (
        f"<p><b>{html.escape(name)}</b> ({len(rows):,} rows)</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"
    )
