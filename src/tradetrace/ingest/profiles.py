"""Column-mapping profiles: which source header feeds which canonical field.

Profiles are YAML files in ``ingest/profiles/`` (one per source layout). The one
whose headers a file matches best is chosen automatically; ``--profile`` forces
one and ``--map "Header=field"`` adds or overrides single columns.
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
from tradetrace.model import MAPPABLE_FIELDS, REQUIRED_FIELDS, REQUIRED_ONE_OF


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    fields: dict[str, tuple[str, ...]]
    direction: str = "import"
    decimal: str = "."
    constants: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Mapping:
    """A resolved mapping for one file: canonical field → column position."""

    profile: Profile
    columns: dict[str, int]
    header: tuple[str, ...]

    def header_of(self, field_name: str) -> str | None:
        index = self.columns.get(field_name)
        return None if index is None else self.header[index]


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
        fields = {k: tuple(str(h) for h in v) for k, v in (data.get("fields") or {}).items()}
        constants = {k: str(v) for k, v in (data.get("constants") or {}).items()}
    except (yaml.YAMLError, AttributeError, TypeError, ValueError, RecursionError) as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise ProfileError(f"{origin}: not a valid profile ({detail})") from exc
    unknown = sorted(repr(f) for f in set(fields) - set(MAPPABLE_FIELDS))  # repr: one line
    if unknown:
        raise ProfileError(f"{origin}: unknown field(s) {', '.join(unknown)}")
    return Profile(
        name=str(data.get("name") or Path(origin).stem),
        description=str(data.get("description") or ""),
        fields=fields,
        direction=str(data.get("direction") or "import"),
        decimal=str(data.get("decimal") or "."),
        constants=constants,
    )


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


def map_header(profile: Profile, header: list[str], overrides: dict[str, str]) -> Mapping:
    """Match each canonical field to the first of its profile headers present in the file."""
    keys = {header_key(h): i for i, h in reversed(list(enumerate(header)))}
    columns: dict[str, int] = {}
    for field_name, aliases in profile.fields.items():
        for alias in aliases:
            if (index := keys.get(header_key(alias))) is not None:
                columns[field_name] = index
                break
    for source_header, target in overrides.items():
        index = keys.get(header_key(source_header))
        if index is None:
            raise ProfileError(  # repr: a header may hold a CR or a newline
                f"--map {f'{source_header}={target}'!r}: no column {source_header!r} in the file"
            )
        columns = {f: i for f, i in columns.items() if i != index}
        columns[target] = index
    return Mapping(profile, columns, tuple(header))


def missing_required(mapping: Mapping) -> list[str]:
    have = set(mapping.columns) | set(mapping.profile.constants)
    missing = [f for f in REQUIRED_FIELDS if f not in have]
    missing += ["|".join(group) for group in REQUIRED_ONE_OF if not have & set(group)]
    return missing


def resolve_mapping(
    header: list[str], profile_name: str | None = None, overrides: dict[str, str] | None = None
) -> Mapping:
    """The mapping for a file: the named profile, or the best-fitting built-in one."""
    overrides = overrides or {}
    candidates = [get_profile(profile_name)] if profile_name else [*builtin_profiles().values()]
    mappings = [map_header(p, header, overrides) for p in candidates]
    complete = [m for m in mappings if not missing_required(m)]
    if complete:
        return max(complete, key=lambda m: len(m.columns))
    best = max(mappings, key=lambda m: len(m.columns))
    shown = ", ".join(repr(h) for h in header[:40]) + (" …" if len(header) > 40 else "")
    raise ProfileError(
        f"cannot map the header with profile {best.profile.name!r}: required field(s) "
        f"{', '.join(missing_required(best))} unmapped; headers seen: {shown}; "
        'use --profile NAME or --map "Header=field"'
    )
