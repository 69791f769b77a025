"""One colour per origin country, the same in every chart and table swatch of a report.

The largest origins (by the period's value) get the distinct colours; the rest share a
grey "Other countries", so that a reader who learns "South Korea is blue" in the yearly
chart finds it blue in the event and supplier charts too.
"""

from __future__ import annotations

from dataclasses import dataclass

from tradetrace.analyse.results import ExposureResult
from tradetrace.formatting import country_label

__all__ = ["OTHER", "UNKNOWN", "Palette"]

#: Colour-blind-friendly, print-safe hues (Okabe-Ito order, deepened for white paper).
HUES = (
    "#2166ac",
    "#e08214",
    "#1b9e77",
    "#7b3294",
    "#c51b7d",
    "#35978f",
    "#b8860b",
    "#5e3c99",
    "#8c510a",
)
OTHER = "Other countries"
UNKNOWN = "Unknown origin"
OTHER_HUE = "#a6a6a6"
UNKNOWN_HUE = "#d9d9d9"


@dataclass(frozen=True)
class Palette:
    """Origin country (ISO2) → legend label and colour."""

    named: tuple[str, ...]

    @classmethod
    def for_exposure(cls, exposure: ExposureResult) -> Palette:
        ranked = [r.country for r in exposure.by_origin_country if r.country]
        return cls(tuple(ranked[: len(HUES)]))

    def label(self, iso2: str | None) -> str:
        if not iso2:
            return UNKNOWN
        return country_label(iso2) if iso2 in self.named else OTHER

    def colour(self, iso2: str | None) -> str:
        if not iso2:
            return UNKNOWN_HUE
        if iso2 in self.named:
            return HUES[self.named.index(iso2)]
        return OTHER_HUE

    def scale(self, labels: set[str] | None = None) -> tuple[list[str], list[str]]:
        """Domain and range for a chart's colour scale, in rank order (legend order)."""
        domain = [country_label(c) for c in self.named] + [OTHER, UNKNOWN]
        hues = [*HUES[: len(self.named)], OTHER_HUE, UNKNOWN_HUE]
        pairs = [(d, h) for d, h in zip(domain, hues, strict=True) if labels is None or d in labels]
        return [d for d, _ in pairs], [h for _, h in pairs]
