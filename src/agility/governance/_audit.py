"""The audit trail seen from outside the store: verify the chain, export it for a SIEM.

The chain itself lives in the store (:mod:`agility.store._audit`): every event written through
the store is chained there, whoever writes it. This module adds what a person asks of it:
prove it (:func:`verify_audit`) and hand it over (:func:`export_audit`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agility._files import atomic_open, describe_os_error
from agility.errors import InvalidArgument, UsageError
from agility.store import AuditReport, Store

__all__ = ["export_audit", "parse_since", "verify_audit"]

_RELATIVE = re.compile(r"^(\d+)\s*([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_since(text: str, *, now: datetime | None = None) -> str:
    """An ISO 8601 UTC time from ``text``: a date, a date and time (UTC when no offset is
    given), or a span back from now (``7d``, ``24h``, ``30m``).

    Raises:
        InvalidArgument: ``text`` is none of these.
    """
    text = text.strip()
    match = _RELATIVE.match(text)
    if match:
        span = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        when = (now or datetime.now(UTC)) - span
    else:
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidArgument("since", text, "must be an ISO 8601 date or time "
                                                 "(2026-01-31, 2026-01-31T09:00) or a span "
                                                 "back from now (7d, 24h, 30m)") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="milliseconds")


def verify_audit(store: Store, *, expect_head: str | None = None) -> AuditReport:
    """Recompute the store's audit chain.

    Args:
        store: the store.
        expect_head: a head hash recorded earlier (``agility audit verify`` prints it): it must
            still be in the chain, else the newest events were cut off.

    Returns:
        the report: ``ok``, the number of events, the head, and every broken link named
        (edited, payload edited, removed, reordered, unchained, purged without a record).
    """
    return store.verify_audit(expect_head=expect_head)


def export_audit(store: Store, out: str | Path, *, since: str | None = None,
                 mask: Callable[[Any], Any] | None = None) -> int:
    """Write the audit trail as JSON Lines for a SIEM, one event a line, oldest first.

    Each line holds ``id, time, actor, action, object, payload, payload_purged_at,
    payload_sha256, prev_hash, hash``: a SIEM can re-check every link without the store.

    Args:
        store: the store.
        out: the file to write (atomically).
        since: only events from this time on (see :func:`parse_since`).
        mask: applied to each payload before it is written (a privacy policy's masking of
            exports); the digests stay those of the stored payloads.

    Returns:
        the number of events written.

    Raises:
        InvalidArgument: ``since`` cannot be read.
        UsageError: the file cannot be written.
    """
    rows = store.audit_rows(parse_since(since) if since else None)
    path = Path(out)
    try:
        with atomic_open(path, "w", encoding="utf-8") as fh:
            for row in rows:
                if mask is not None and row["payload"] is not None:
                    row["payload"] = mask(row["payload"])
                fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {describe_os_error(exc)}. Pick another output "
                         f"path.", argument="out") from exc
    return len(rows)
