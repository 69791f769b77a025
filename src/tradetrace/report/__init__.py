"""The exposure report in HTML, PDF, Markdown and JSON, for newsrooms and analysts.

``render_report(store, target, options, fmt)`` computes the exposure and renders it;
``render_exposure(store, exposure, fmt)`` renders one already computed. HTML is a single
self-contained file (inline CSS and SVG charts, nothing fetched); PDF is the same page
printed by WeasyPrint; Markdown carries the findings and tables; JSON is the exposure.
"""

from tradetrace.report.render import MEDIA_TYPES, REPORT_FORMATS, render_exposure, render_report

__all__ = ["MEDIA_TYPES", "REPORT_FORMATS", "render_exposure", "render_report"]
