"""REST API and web dashboard (``tradetrace serve``)."""

from tradetrace.api.app import create_app

__all__ = ["create_app"]
