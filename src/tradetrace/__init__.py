"""tradetrace: customs records to supply-chain and sanctions-exposure intelligence.

The Python API (docs/python.md)::

    import tradetrace as tt
    store = tt.open("tradetrace.duckdb")
    x = store.exposure("ООО «АУРУС»", start="2018-01-01", end="2023-12-31")
    x.by_origin_country        # a pandas data frame

Its names are loaded on first use, so ``import tradetrace`` (and the CLI) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tradetrace.errors import (
    AmbiguousTargetError,
    InputError,
    MissingStepError,
    NotFoundError,
    ProfileError,
    StoreError,
    TradetraceError,
)
from tradetrace.version import __version__

if TYPE_CHECKING:
    from tradetrace.views import Rows, View
    from tradetrace.workspace import (
        Workspace,
        compare_names,
        diff_lists,
        generate_sample,
        infer_profile,
        open,
        profiles,
        serve,
    )

__all__ = [
    "AmbiguousTargetError",
    "InputError",
    "MissingStepError",
    "NotFoundError",
    "ProfileError",
    "Rows",
    "StoreError",
    "TradetraceError",
    "View",
    "Workspace",
    "__version__",
    "compare_names",
    "diff_lists",
    "infer_profile",
    "open",
    "profiles",
    "generate_sample",
    "serve",
]

_LAZY = {
    "Rows": "tradetrace.views",
    "View": "tradetrace.views",
    **dict.fromkeys(
        ["Workspace", "compare_names", "diff_lists", "generate_sample", "infer_profile",
         "open", "profiles", "serve"],
        "tradetrace.workspace",
    ),
}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tradetrace' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
