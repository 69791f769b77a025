"""The base of every typed result that crosses a boundary (CLI, report, API, dashboard).

Results are immutable pydantic models with no undeclared keys. Their JSON form, from
:meth:`Result.to_json`, is a public contract (keys in declaration order, dates as ISO
text), and the API's OpenAPI schema is generated from the same classes, so each key's
description is written once, on its field.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

__all__ = ["Redirected", "RedirectReason", "Result"]

RedirectReason = Literal["merged", "split", "renamed"]


class Result(BaseModel):
    """A typed result: immutable, no undeclared keys, JSON through :meth:`to_json`."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def to_json(self) -> dict[str, Any]:
        """The JSON form (dates as ISO text), keys in the contract's order."""
        return self.model_dump(mode="json", by_alias=True)


class Redirected(Result):
    """A result about an entity that may have been reached through a retired id (see
    ``resolve/redirects.py``). The two keys come last, and only when a redirect was
    followed: the contract predates them."""

    redirected_from: str | None = Field(
        default=None, description="present when the id asked for was retired: that id"
    )
    redirect_reason: RedirectReason | None = Field(
        default=None, description="why that id was retired (with `redirected_from`)"
    )

    @model_serializer(mode="wrap")
    def _without_absent_redirect(self, handler: SerializerFunctionWrapHandler) -> dict:
        out = handler(self)
        moved = {key: out.pop(key) for key in ("redirected_from", "redirect_reason")}
        if self.redirected_from is not None:
            out.update(moved)
        return out
