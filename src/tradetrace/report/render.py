"""One exposure, four formats: HTML (self-contained), PDF (the same HTML), Markdown, JSON.

HTML and Markdown come from Jinja templates shipped in the package; PDF is WeasyPrint's
rendering of the HTML, so the two never disagree. Charting and PDF libraries are imported
only when a format needs them: the JSON and Markdown paths stay light for the API.
"""

from __future__ import annotations

import json
from functools import cache

import jinja2

from tradetrace import formatting
from tradetrace.analyse.diversion import place
from tradetrace.analyse.exposure import ExposureOptions, exposure
from tradetrace.analyse.results import ExposureResult
from tradetrace.errors import InputError, TradetraceError
from tradetrace.report.context import build_context
from tradetrace.report.labels import list_short
from tradetrace.store import Store

__all__ = ["MEDIA_TYPES", "REPORT_FORMATS", "render_exposure", "render_report"]

REPORT_FORMATS = ("html", "pdf", "md", "json")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
}
PANGO_HINT = (
    "PDF reports need WeasyPrint's system libraries (Pango); install them with "
    "`apt-get install libpango-1.0-0 libpangoft2-1.0-0` (Debian/Ubuntu) or "
    "`brew install pango` (macOS), or choose --format html"
)


def render_report(
    store: Store, target: str, options: ExposureOptions | None = None, fmt: str = "html"
) -> bytes:
    """The exposure report of ``target`` (entity id, tax id or name) in ``fmt``."""
    _check_format(fmt)
    return render_exposure(store, exposure(store, target, options), fmt)


def render_exposure(store: Store, exposure: ExposureResult, fmt: str = "html") -> bytes:
    """The report of an exposure already computed (the store supplies the extra figures)."""
    _check_format(fmt)
    if fmt == "json":
        return exposure_json(exposure)
    if fmt == "md":
        return markdown(store, exposure).encode("utf-8")
    page = html(store, exposure)
    return page.encode("utf-8") if fmt == "html" else pdf(page)


def _check_format(fmt: str) -> None:
    if fmt not in REPORT_FORMATS:
        raise InputError(f"report format {fmt!r}: expected one of {', '.join(REPORT_FORMATS)}")


def exposure_json(exposure: ExposureResult) -> bytes:
    """Byte for byte what ``tradetrace exposure --json`` prints."""
    return json.dumps(exposure.to_json(), ensure_ascii=False, indent=2).encode("utf-8")


def html(store: Store, exposure: ExposureResult) -> str:
    from tradetrace.report.charts import render_charts  # altair is slow to import

    ctx = build_context(store, exposure)
    ctx["charts"] = render_charts(ctx)
    return _environment("html").get_template("report.html.j2").render(ctx)


def markdown(store: Store, exposure: ExposureResult) -> str:
    ctx = build_context(store, exposure)
    return _environment("md").get_template("report.md.j2").render(ctx)


def pdf(page: str) -> bytes:
    """The HTML printed by WeasyPrint; a missing Pango is a one-line, fixable error."""
    try:
        import weasyprint
    except ImportError as exc:
        raise TradetraceError(f"{PANGO_HINT} ({exc})") from exc
    except OSError as exc:  # cffi could not load libpango/libgobject
        raise TradetraceError(f"{PANGO_HINT} ({' '.join(str(exc).split())})") from exc
    return weasyprint.HTML(string=page).write_pdf()


@cache
def _environment(kind: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tradetrace.report", "templates"),
        autoescape=kind == "html",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        money=formatting.money,
        share=formatting.share,
        count=formatting.count,
        hhi=formatting.hhi,
        plural=formatting.plural,
        country=formatting.country_label,
        place=place,
        ratio=formatting.ratio,
        list_short=list_short,
        cell=_md_cell,
    )
    return env


def _md_cell(value: object) -> str:
    """A Markdown table cell: pipes escaped, line breaks flattened."""
    return " ".join(str("" if value is None else value).split()).replace("|", "\\|")
