"""Alerts as an Atom 1.0 feed (RFC 4287), for feed readers and anything else that polls.

A feed is a file, not a service: ``write_atom`` replaces it atomically, so a reader
polling it never gets half a feed. Each entry's id is derived from the alert's identity
(run, party, list, entry, event), so rewriting the feed with the same alerts gives the
same ids and a reader shows nothing twice. The entry says what the Markdown digest says
(:func:`tradetrace.notify.markdown.alert_facts`), in plain text.

The XML is built with :mod:`xml.etree.ElementTree`, never by pasting strings, so names
from the data cannot break it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Sequence
from pathlib import Path

# writing only: every XML parse goes through defusedxml (tests/test_fuzz_properties.py)
from xml.etree.ElementTree import Element, SubElement, indent, tostring

from tradetrace.analyse.alerts import Alert
from tradetrace.notify.markdown import EVENT_TITLES, alert_facts, alert_party, as_utc
from tradetrace.reference.sources import atomic_write
from tradetrace.screen.lists.registry import list_short
from tradetrace.version import __version__

__all__ = ["ATOM_NS", "alert_id", "alerts_atom", "rfc3339", "write_atom"]

ATOM_NS = "http://www.w3.org/2005/Atom"
# The namespace of entry ids (RFC 4122 name-based UUIDs). Changing it changes every id,
# and feed readers would show every alert again: never change it.
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "tradetrace:alert")
# Characters XML 1.0 cannot carry at all, not even escaped; a name with a stray control
# character must not make the whole feed unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def alert_id(alert: Alert) -> str:
    """``urn:uuid:…``: the same alert always gets the same id, different alerts differ.

    A name-based UUID (RFC 4122, version 5) is a valid URN that needs no registered
    authority, and hashing the JSON list of the key keeps ``a:b`` + ``c`` apart from
    ``a`` + ``b:c``.
    """
    key = [alert.run_id, alert.entity_id, alert.list, alert.list_entity_id, alert.event]
    return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, json.dumps(key, ensure_ascii=False))}"


def rfc3339(value: dt.datetime) -> str:
    """``2024-05-03T12:00:00Z``: UTC, whole seconds (a naive time is taken as UTC)."""
    return as_utc(value).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def alerts_atom(
    alerts: Sequence[Alert], feed_id: str, title: str, updated: dt.datetime | None = None
) -> bytes:
    """The feed as UTF-8 XML, one entry per alert in the order given.

    ``feed_id`` must be an absolute IRI that stays the same for this feed (e.g.
    ``tag:example.org,2024:tradetrace-alerts``). ``updated`` defaults to the latest
    ``detected_at``, so the same alerts give the same bytes; an empty feed without it is
    dated now.
    """
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", feed_id):
        raise ValueError(f"feed_id {feed_id!r}: expected an absolute IRI, e.g. urn:… or tag:…")
    if updated is None:
        updated = max((a.detected_at for a in alerts), key=as_utc, default=None)
    # The default namespace is declared on the root and the tags are left unqualified:
    # ``default_namespace=`` rejects Atom's unqualified attributes, and
    # ``register_namespace`` would change every other ElementTree user in the process.
    feed = Element("feed", xmlns=ATOM_NS)
    _add(feed, "id", feed_id)
    _add(feed, "title", title, type="text")
    _add(feed, "updated", rfc3339(updated or dt.datetime.now(dt.UTC)))
    _add(_add(feed, "author"), "name", "tradetrace")
    _add(feed, "generator", "tradetrace", version=__version__)
    for alert in alerts:
        feed.append(_entry(alert))
    indent(feed)
    body = tostring(feed, encoding="utf-8", xml_declaration=True)
    return body + b"\n"


def write_atom(
    path: str | Path,
    alerts: Sequence[Alert],
    feed_id: str,
    title: str,
    updated: dt.datetime | None = None,
) -> Path:
    """Write the feed to ``path`` through a temp file in the same folder and
    ``os.replace``, so a reader sees the old feed or the new one, never a torn one."""
    target = Path(path)
    body = alerts_atom(alerts, feed_id, title, updated)
    atomic_write(target, lambda tmp: tmp.write_bytes(body))
    return target


def _entry(alert: Alert) -> Element:
    entry = Element("entry")
    _add(entry, "id", alert_id(alert))
    heading = (
        f"{EVENT_TITLES[alert.event]}: {alert_party(alert)}, "
        f"{list_short(alert.list)} entry {alert.list_entity_id}"
    )
    _add(entry, "title", heading, type="text")
    _add(entry, "updated", rfc3339(alert.detected_at))
    _add(entry, "category", term=alert.event, label=EVENT_TITLES[alert.event])
    _add(entry, "content", "\n".join([alert_party(alert), *alert_facts(alert)]), type="text")
    return entry


def _add(parent: Element, tag: str, text: str | None = None, **attrs: str) -> Element:
    child = SubElement(parent, tag, {k: _NOT_XML.sub("", v) for k, v in attrs.items()})
    if text is not None:
        child.text = _NOT_XML.sub("", text)
    return child
