"""Column-mapping profiles: what the header words cannot say about a layout.

Most files need no profile: ``ingest.headers`` reads their headers' words. A profile (a
YAML file: a built-in one in ``ingest/profiles/``, or one written by ``tradetrace
profiles infer`` and edited) names the columns of fields whose headers carry no words
(the Russian DT form's graph codes, G072, G33 ...) and may state what the file is
(``direction``, ``reporter``, ``granularity``, ``currency``, ``decimal``), which then
counts as the user's word. ``--map "Header=field"`` adds or overrides single columns.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from tradetrace.errors import ProfileError
from tradetrace.model import MAPPABLE_FIELDS


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    fields: dict[str, tuple[str, ...]]
    direction: str | None = None
    decimal: str = "."
    reporter: str | None = None
    granularity: str | None = None
    currency: str | None = None
    #: value column header → its currency, where the header does not say
    currencies: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Mapping:
    """A resolved mapping for one file: canonical field → column position, and what the
    file is (``constants``: direction, reporter_country, granularity, currency)."""

    profile: Profile
    columns: dict[str, int]
    header: tuple[str, ...]
    #: value, date and country fields: more columns, best first, for rows the first leaves empty
    fallbacks: dict[str, tuple[int, ...]] = field(default_factory=dict)
    #: party name → the column of its other spelling (IMPORTER_NAME_EN beside IMPORTER_NAME)
    alternates: dict[str, int] = field(default_factory=dict)
    #: value column → its currency: an ISO code, "local" (the reporter's), "column" (the
    #: file's currency column) or "" (says none: the currency column, else the file's)
    value_currencies: dict[int, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    decimal: str = "."
    #: the reporter's time zone, for timestamps written in UTC
    utc_offset_zone: str | None = None
    #: columns nothing maps, kept in the row's ``extra``
    extra: tuple[int, ...] = ()

    def header_of(self, field_name: str) -> str | None:
        index = self.columns.get(field_name)
        return None if index is None else self.header[index]

    def used_columns(self) -> set[int]:
        used = set(self.columns.values()) | set(self.alternates.values())
        return used | {i for rest in self.fallbacks.values() for i in rest}

    def value_columns(self) -> list[tuple[int, str]]:
        """Every value column with its currency, in the order a row falls back through
        them: the US-dollar ones first, then the others."""
        order = [
            i
            for name in ("value_usd", "value")
            for i in ((self.columns[name],) if name in self.columns else ())
            + self.fallbacks.get(name, ())
        ]
        return [(i, self.value_currencies.get(i, "")) for i in dict.fromkeys(order)]


def header_key(text: str) -> str:
    """Headers compare ignoring case, spaces and punctuation ("Вес нетто, кг" = "вес нетто кг")."""
    text = unicodedata.normalize("NFKC", text).lower().replace("ё", "е")
    return " ".join(re.sub(r"[^\w№]+", " ", text).split())


def _load(text: str, origin: str) -> Profile:
    """A profile from YAML text; any shape problem is one line naming ``origin``.

    ``ValueError`` is YAML's impossible timestamp (``2021-02-30``), ``RecursionError`` its
    nesting past Python's limit: both are the file's fault, not tradetrace's.
    """
    try:
        data = yaml.safe_load(text)
        fields = {
            k: tuple(str(h) for h in (v if isinstance(v, list) else [v]))
            for k, v in (data.get("fields") or {}).items()
        }
        currencies = {str(k): str(v) for k, v in (data.get("currencies") or {}).items()}
    except (yaml.YAMLError, AttributeError, TypeError, ValueError, RecursionError) as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise ProfileError(f"{origin}: not a valid profile ({detail})") from exc
    known = set(MAPPABLE_FIELDS) | {f"{p}_name_alt" for p in ("importer", "exporter")}
    unknown = sorted(repr(f) for f in set(fields) - known)  # repr: one line
    if unknown:
        raise ProfileError(f"{origin}: unknown field(s) {', '.join(unknown)}")
    return Profile(
        name=str(data.get("name") or Path(origin).stem),
        description=str(data.get("description") or ""),
        fields=fields,
        direction=_optional(data, "direction"),
        decimal=str(data.get("decimal") or "."),
        reporter=_optional(data, "reporter"),
        granularity=_optional(data, "granularity"),
        currency=_optional(data, "currency"),
        currencies=currencies,
    )


def _optional(data: dict, key: str) -> str | None:
    value = data.get(key)
    return None if value in (None, "") else str(value)


@cache
def builtin_profiles() -> dict[str, Profile]:
    folder = resources.files("tradetrace.ingest") / "profiles"
    profiles = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            profile = _load(entry.read_text(encoding="utf-8"), entry.name)
            profiles[profile.name] = profile
    return profiles


def get_profile(name: str) -> Profile:
    """A built-in profile by name, or a profile YAML file by path."""
    path = Path(name)
    if path.suffix in {".yaml", ".yml"}:
        if not path.exists():
            raise ProfileError(f"{name}: no such profile file")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(f"{name}: cannot read the profile ({exc})") from exc
        return _load(text, name)
    profiles = builtin_profiles()
    if name not in profiles:
        raise ProfileError(f"unknown profile {name!r}; known: {', '.join(profiles)}")
    return profiles[name]


def parse_overrides(items: list[str]) -> dict[str, str]:
    """``--map "Header=field"`` options → {header: field}."""
    overrides = {}
    for item in items:
        header, sep, target = item.rpartition("=")
        target = target.strip()
        if not sep or not header.strip():
            raise ProfileError(f'--map {item!r}: expected "Header=field"')
        if target not in MAPPABLE_FIELDS:
            raise ProfileError(
                f"--map {item!r}: unknown field {target!r}; fields: {', '.join(MAPPABLE_FIELDS)}"
            )
        overrides[header.strip()] = target
    return overrides


def resolve_mapping(
    header: list[str], profile_name: str | None = None, overrides: dict[str, str] | None = None
) -> Mapping:
    """The column mapping of a header (header words, then the profile, then ``--map``);
    a one-line :class:`ProfileError` when the rows could not be counted."""
    from tradetrace.ingest.detect import Options, read_file

    options = Options(profile=profile_name, overrides=overrides or {})
    return read_file("", list(header), None, options).mapping
