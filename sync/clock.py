"""Time as ISO 8601 UTC strings ("2026-11-28T06:11:39Z"), the form wikis use.

Strings of this one form sort in time order, so watermarks compare as text.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utc_now() -> str:
    return format_time(datetime.now(UTC))


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def earlier(text: str, seconds: int) -> str:
    """``text`` moved back by ``seconds`` (the overlap window before a watermark)."""
    return format_time(parse_time(text) - timedelta(seconds=seconds))
