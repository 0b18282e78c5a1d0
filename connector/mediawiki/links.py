"""Where a browser opens a page of the wiki (pure: no request)."""

from __future__ import annotations

from urllib.parse import quote

from connector.base import PageRef

from .titles import api_title


def page_url(script_url: str, ref: PageRef) -> str:
    """The address of ``ref`` on the wiki whose script path is ``script_url`` (ending in
    "/", as ``check_url`` gives it): ``index.php?title=...``, which works whatever the
    wiki's short-URL settings. "" when no page can have that title."""
    title = api_title(ref)
    if not title:
        return ""
    return f"{script_url}index.php?title={quote(title.replace(' ', '_'), safe=':/()')}"
