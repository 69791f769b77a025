"""Alerts POSTed as JSON to a webhook, with bounded waits and a few retries.

The body is ``{"text": <the Markdown digest>, "alerts": [...]}``: Slack- and
Mattermost-style incoming webhooks show ``text``; anything else reads ``alerts``, the same
objects ``tradetrace alerts --json`` prints. Only the standard library is used, so sending
an alert needs nothing the CLI does not already have.

A failure worth waiting out (no connection, a timeout, HTTP 5xx, HTTP 429) is retried with
exponential backoff; a client error (other 4xx) would only fail again and is not. Redirects
are not followed either: urllib would turn a redirected POST into a GET without the body
and report success for an alert nobody received.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlsplit

from tradetrace.analyse.alerts import Alert
from tradetrace.errors import TradetraceError
from tradetrace.formatting import plural
from tradetrace.notify.markdown import alerts_markdown
from tradetrace.reference.sources import failure_reason
from tradetrace.version import __version__

__all__ = ["RETRY_AFTER_CAP", "WebhookDelivery", "WebhookError", "post_alerts"]

#: The longest wait a server's ``Retry-After`` can impose, in seconds.
RETRY_AFTER_CAP = 60.0
_USER_AGENT = f"tradetrace/{__version__} (alert webhook)"


@dataclass(frozen=True)
class WebhookDelivery:
    """A delivered POST: where, the HTTP status, and on which attempt (1 = first)."""

    url: str
    status: int
    attempts: int


class WebhookError(TradetraceError):
    """The alerts were not delivered; the one-line message names the URL, the attempts
    and the last reason, in words."""

    def __init__(self, url: str, attempts: int, reason: str) -> None:
        shown = shown_url(url)
        if attempts:
            message = f"webhook {shown}: gave up after {plural(attempts, 'attempt')} ({reason})"
        else:
            message = f"webhook {shown}: {reason}"
        super().__init__(" ".join(message.split()))
        self.url, self.attempts, self.reason = url, attempts, reason


def post_alerts(
    url: str,
    alerts: Sequence[Alert],
    *,
    timeout: float = 10.0,
    retries: int = 3,
    backoff: float = 0.5,
    sleep: Callable[[float], object] = time.sleep,
) -> WebhookDelivery:
    """POST the alerts to ``url``; at most ``retries + 1`` attempts of ``timeout`` each.

    Before attempt *n* (from 0) it sleeps ``backoff * 2**(n - 1)`` seconds, or what a
    numeric ``Retry-After`` asks (at most :data:`RETRY_AFTER_CAP`). ``sleep`` is
    injectable so tests do not wait. Raises :class:`WebhookError` when it gives up.
    """
    _check_url(url)
    if retries < 0 or timeout <= 0 or backoff < 0:
        raise ValueError("expected retries >= 0, timeout > 0 and backoff >= 0")
    body = json.dumps(
        {"text": alerts_markdown(alerts), "alerts": [a.to_json() for a in alerts]},
        ensure_ascii=False,
    ).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": _USER_AGENT,
        },
    )
    opener = urllib.request.build_opener(_NoRedirect)
    reason, delay = "not attempted", 0.0
    for attempt in range(retries + 1):
        if attempt:
            sleep(delay)
        delay = backoff * 2**attempt
        try:
            with opener.open(request, timeout=timeout) as response:
                return WebhookDelivery(url, response.status, attempt + 1)
        except urllib.error.HTTPError as exc:
            exc.close()
            reason = failure_reason(exc)
            if not _retryable(exc.code):
                raise WebhookError(url, attempt + 1, f"{reason}, not retried") from exc
            delay = _retry_after(exc.headers, delay)
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out
            reason = failure_reason(exc)
    raise WebhookError(url, retries + 1, reason)


def shown_url(url: str) -> str:
    """The URL as an error message may show it: chat webhooks carry their secret in the
    path or the query (``https://hooks.slack.com/services/T…/B…/secret``), which a log
    or a cron mail must not keep; scheme, host and port say which endpoint failed."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unreadable URL)"
    hidden = "/…" if parts.path.strip("/") or parts.query else "/"
    return f"{parts.scheme}://{host}{port}{hidden}" if parts.scheme and host else "(unreadable URL)"


def _check_url(url: str) -> None:
    """Only http(s) to a host: ``file:`` or ``ftp:`` would make urllib read or fetch
    something else entirely."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as exc:
        raise WebhookError(url, 0, f"not a valid URL ({exc})") from exc
    if parts.scheme not in ("http", "https"):
        raise WebhookError(url, 0, "only http and https URLs are accepted")
    if not parts.hostname or any(c.isspace() or ord(c) < 32 for c in url):
        raise WebhookError(url, 0, "not a valid URL (no host, or spaces in it)")


def _retryable(status: int) -> bool:
    return status >= 500 or status == 429


def _retry_after(headers: Message | None, default: float) -> float:
    """The server's numeric ``Retry-After`` (capped), else ``default``. The HTTP-date form
    is ignored: the backoff is a fine guess and clocks disagree."""
    value = headers.get("Retry-After") if headers is not None else None
    try:
        seconds = float(value) if value is not None else -1.0
    except ValueError:
        return default
    return min(seconds, RETRY_AFTER_CAP) if 0 <= seconds < float("inf") else default


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Turn a redirect into an HTTP error (3xx, not retried) instead of following it."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None
