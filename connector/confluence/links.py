"""Where a browser opens a page of the site (pure: no request)."""

from __future__ import annotations

from urllib.parse import quote


def page_url(site_url: str, *, deployment: str, space: str, page_id: str = "") -> str:
    """The address of the page ``page_id`` of ``space`` on the site whose base is
    ``site_url`` (as ``check_url`` gives it, not the API gateway's): Cloud
    ``/spaces/KEY/pages/ID``, Data Center ``/pages/viewpage.action?pageId=ID``. Without a
    page id, the space's home."""
    key = quote(space, safe="")
    if deployment == "datacenter":
        if page_id:
            return f"{site_url}/pages/viewpage.action?pageId={quote(page_id, safe='')}"
        return f"{site_url}/display/{key}"
    if page_id:
        return f"{site_url}/spaces/{key}/pages/{quote(page_id, safe='')}"
    return f"{site_url}/spaces/{key}/overview"
