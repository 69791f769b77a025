"""Product categories: HS prefixes → labels, with the nomenclature as the fallback.

A category map is YAML (see ``automotive.yaml``, the default): ``categories`` maps a
label to HS prefixes of 2 to 6 digits (dots and spaces ignored); the longest matching
prefix wins, so "8708" can stand for all vehicle parts while "870829" is carved out.
Codes no prefix covers are named by their HS section, chapter or heading from the
imported nomenclature (``fallback``), so every dollar lands in some category.

``--categories`` also takes ``hs-section``, ``hs-chapter`` or ``hs-heading`` for the
nomenclature alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import yaml

from tradetrace.errors import InputError
from tradetrace.reference.hs import CHAPTER_SECTIONS
from tradetrace.store import Store

__all__ = ["CategoryMap", "HsNames", "load_category_map"]

FALLBACKS = ("section", "chapter", "heading")
BUILT_IN = ("automotive",)
_PREFIX = re.compile(r"^\d{2,6}$")


@dataclass(frozen=True)
class CategoryMap:
    name: str
    prefixes: dict[str, str] = field(default_factory=dict)  # prefix → label
    fallback: str = "chapter"

    def label(self, hs6: str | None, names: HsNames) -> str:
        code = hs6 or ""
        for size in range(min(len(code), 6), 1, -1):
            label = self.prefixes.get(code[:size])
            if label:
                return label
        return names.label(code, self.fallback)


@dataclass(frozen=True)
class HsNames:
    """Nomenclature descriptions by code (HS2022 preferred) and section names."""

    codes: dict[str, str] = field(default_factory=dict)
    sections: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_store(cls, store: Store) -> HsNames:
        codes: dict[str, str] = {}
        if store.has_table("ref_hs"):
            hs = store.table("ref_hs")
            rows = store.to_arrow(
                hs.filter(hs.level <= 4).order_by(hs.edition.desc()).select("code", "description")
            ).to_pylist()
            for row in rows:  # HS2022 sorts first and is kept
                codes.setdefault(row["code"], row["description"])
        sections: dict[str, str] = {}
        if store.has_table("ref_hs_sections"):
            rows = store.to_arrow(store.table("ref_hs_sections")).to_pylist()
            sections = {r["section"]: r["name"] for r in rows}
        return cls(codes, sections)

    def label(self, code: str, level: str) -> str:
        if len(code) < 2:
            return "Unknown HS code"
        if level == "section":
            section = CHAPTER_SECTIONS.get(code[:2])
            if section is None:
                return f"HS chapter {code[:2]}"
            name = self.sections.get(section)
            return f"Section {section}: {_sentence(name)}" if name else f"HS section {section}"
        size = 4 if level == "heading" and len(code) >= 4 else 2
        prefix = code[:size]
        name = self.codes.get(prefix)
        kind = "heading" if size == 4 else "chapter"
        return f"HS {prefix}: {name}" if name else f"HS {kind} {prefix}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def load_category_map(spec: str | Path | None = None) -> CategoryMap:
    """The default map, a built-in name, ``hs-<level>``, or a YAML file."""
    spec = str(spec) if spec is not None else "automotive"
    if spec.startswith("hs-") and spec[3:] in FALLBACKS:
        return CategoryMap(spec, {}, spec[3:])
    if spec in BUILT_IN:
        text = (files(__package__) / f"{spec}.yaml").read_text("utf-8")
        return _parse(text, spec)
    path = Path(spec)
    if not path.is_file():
        choices = ", ".join([*BUILT_IN, *(f"hs-{f}" for f in FALLBACKS)])
        raise InputError(f"{spec}: no such category map file (built-in: {choices})")
    return _parse(path.read_text("utf-8"), str(path))


def _parse(text: str, source: str) -> CategoryMap:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: not valid YAML: {exc}".splitlines()[0]) from exc
    if not isinstance(data, dict) or not isinstance(data.get("categories"), dict):
        raise InputError(f"{source}: expected a mapping with 'categories: {{label: [prefixes]}}'")
    fallback = data.get("fallback", "chapter")
    if fallback not in FALLBACKS:
        raise InputError(f"{source}: fallback must be one of {', '.join(FALLBACKS)}")
    prefixes: dict[str, str] = {}
    for label, codes in data["categories"].items():
        if isinstance(codes, str | int):
            codes = [codes]
        if not isinstance(codes, list) or not codes:
            raise InputError(f"{source}: category {label!r}: give a list of HS prefixes")
        for raw in codes:
            code = re.sub(r"[\s.]", "", str(raw))
            if not _PREFIX.match(code):
                raise InputError(f"{source}: category {label!r}: {raw!r} is not 2-6 HS digits")
            if code in prefixes and prefixes[code] != label:
                raise InputError(
                    f"{source}: prefix {code} is in both {prefixes[code]!r} and {label!r}"
                )
            prefixes[code] = str(label)
    return CategoryMap(str(data.get("name") or source), prefixes, fallback)
