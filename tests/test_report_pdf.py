"""The PDF report as a reader sees it: pages rasterised with pdfium and measured.

The HTML tests check what the report says; these check how WeasyPrint put it on A4 paper.
pdfium gives every character's box from the PDF's text layer, and the rendered page shows
whether something was really drawn there: a chart label cut off by its chart's box, a table
run into the margin or Hangul drawn as empty boxes all show up as pixels, not as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pypdfium2 as pdfium
import pytest

from tradetrace.analyse.exposure import options_from
from tradetrace.report import render_report
from tradetrace.store import open_store

AURUS = "tt-inn-7743237789"
SCALE = 2  # 144 dpi: a hairline still leaves a grey pixel
INK = 250  # grey levels below this count as drawn
MM = 72 / 25.4  # PDF points per millimetre
MARGIN_X, MARGIN_Y = 13 * MM, 16 * MM  # report.css @page margins (header, footer inside them)
MOSTLY_BLANK = 0.4  # share of a page's body left empty below its last line


@dataclass(frozen=True)
class Char:
    text: str
    box: tuple[float, float, float, float]  # left, top, right, bottom in points from top-left


@dataclass(frozen=True)
class Page:
    number: int
    width: float  # points
    height: float
    ink: np.ndarray  # True where a pixel is drawn
    chars: list[Char]

    @property
    def text(self) -> str:
        return "".join(c.text for c in self.chars)

    def pixels(self, left: float, top: float, right: float, bottom: float) -> np.ndarray:
        """The ink in a rectangle given in points (clamped to the page)."""
        rows = slice(max(int(top * SCALE), 0), max(int(np.ceil(bottom * SCALE)), 0))
        cols = slice(max(int(left * SCALE), 0), max(int(np.ceil(right * SCALE)), 0))
        return self.ink[rows, cols]

    def is_drawn(self, char: Char, slack: float = 0.5) -> bool:
        left, top, right, bottom = char.box
        return bool(self.pixels(left - slack, top - slack, right + slack, bottom + slack).any())


def rasterise(pdf: bytes) -> list[Page]:
    pages = []
    document = pdfium.PdfDocument(pdf)
    for number, page in enumerate(document, start=1):
        width, height = page.get_size()
        grey = page.render(scale=SCALE, grayscale=True).to_numpy()
        text = page.get_textpage()
        chars = []
        for i in range(text.count_chars()):
            left, bottom, right, top = text.get_charbox(i)
            chars.append(
                Char(text.get_text_range(i, 1), (left, height - top, right, height - bottom))
            )
        pages.append(Page(number, width, height, grey < INK, chars))
    document.close()
    return pages


@pytest.fixture(scope="module")
def aurus_pages(aurus_db) -> list[Page]:
    with open_store(aurus_db, read_only=True) as store:
        options = options_from(start="2018-01-01", end="2023-12-31")
        return rasterise(render_report(store, AURUS, options, "pdf"))


@pytest.fixture(scope="module")
def hanbit_pages(aurus_db) -> list[Page]:
    """The exporter report of a Korean supplier: its aliases include a Hangul spelling."""
    with open_store(aurus_db, read_only=True) as store:
        return rasterise(
            render_report(store, "Hanbit Autotech", options_from(role="exporter"), "pdf")
        )


def words_of(page: Page, chars: list[Char]) -> list[str]:
    """The words of the page's text that contain the given characters (for failure messages)."""
    text, found = page.text, []
    for char in chars:
        at = page.chars.index(char)
        start = max(text.rfind(" ", 0, at), text.rfind("\n", 0, at)) + 1
        end = min((i for i in (text.find(" ", at), text.find("\r", at)) if i >= 0), default=None)
        found.append(text[start:end])
    return list(dict.fromkeys(found))


def test_no_page_but_the_last_is_left_mostly_blank(aurus_pages):
    """A block pushed whole onto the next page must not leave a hole behind it."""
    blank = {}
    for page in aurus_pages[:-1]:
        body = page.pixels(MARGIN_X, MARGIN_Y, page.width - MARGIN_X, page.height - MARGIN_Y)
        drawn_rows = np.flatnonzero(body.any(axis=1))
        blank[page.number] = 1 - (drawn_rows[-1] + 1) / len(body) if len(drawn_rows) else 1.0
    holes = {n: f"{share:.0%}" for n, share in blank.items() if share > MOSTLY_BLANK}
    assert not holes, f"pages whose body is empty below their last line: {holes}"


def test_every_character_of_the_text_is_drawn(aurus_pages):
    """Text the PDF holds but does not show is clipped or invisible, and misleads a search.

    The event chart's labels are right-aligned against its axis: drawn in a wider font than
    the chart was laid out for, they ran out of the chart's box and lost their first letters.
    """
    text = "".join(page.text for page in aurus_pages)
    assert "Invasion: before 24 Feb 2022" in text and "Invasion: after 24 Feb 2022" in text
    undrawn = {
        page.number: words_of(page, missing)
        for page in aurus_pages
        if (missing := [c for c in page.chars if c.text.strip() and not page.is_drawn(c)])
    }
    assert not undrawn, f"text in the PDF that is not drawn, by page: {undrawn}"


def test_nothing_is_drawn_in_the_side_margins(aurus_pages):
    """Tables, charts and id lists stay within the text column."""
    overflowing = {}
    for page in aurus_pages:
        for side, left, right in (
            ("left", 0, MARGIN_X - 1),
            ("right", page.width - MARGIN_X + 1, page.width),
        ):
            if page.pixels(left, MARGIN_Y, right, page.height - MARGIN_Y).any():
                overflowing.setdefault(page.number, []).append(side)
    assert not overflowing, f"ink in the side margins, by page: {overflowing}"


def test_hangul_is_drawn_as_glyphs_not_empty_boxes(hanbit_pages):
    """A font without Hangul draws each syllable as the same hollow box (tofu).

    A hollow box leaves the middle of the character's cell empty; a real syllable puts strokes
    there, so each syllable's central area must hold ink.
    """
    [page] = [p for p in hanbit_pages if "한빛오토텍 주식회사" in p.text]
    at = page.text.index("한빛오토텍 주식회사")
    boxes = []
    for char in page.chars[at : at + len("한빛오토텍 주식회사")]:
        if not re.match(r"[\uac00-\ud7a3]", char.text):
            continue
        left, top, right, bottom = char.box
        width, height = right - left, bottom - top
        middle = page.pixels(
            left + width / 4, top + height / 4, right - width / 4, bottom - height / 4
        )
        if not middle.any():
            boxes.append(char.text)
    assert not boxes, f"Hangul drawn as empty boxes (no CJK font?): {''.join(boxes)}"
