"""Page protection on MediaWiki: a mixin of MediaWikiBackend (its requests, its errors).

``freeze_space`` is how ``cop archive`` freezes a community on MediaWiki: every page of the
namespace protected (edit and move: administrators only), or that protection lifted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from connector.base import PageRef, SpaceInfo, SpaceSpec
from connector.errors import BackendError

from .titles import api_title


class Protection:
    """Needs the backend's ``_write``, ``_query_all`` and ``check_space``."""

    name: str

    def _write(self, action: str, page: str, params: dict[str, Any],
               base_revision: str | None = None) -> dict[str, Any]:
        raise NotImplementedError

    def _query_all(self, params: dict[str, Any], kind: str) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def check_space(self, spec: SpaceSpec) -> SpaceInfo:
        raise NotImplementedError

    def protect_pages(self, refs: Sequence[PageRef], level: str = "sysop") -> None:
        """Restrict editing and moving of ``refs`` to ``level`` (one request per page)."""
        for ref in refs:
            self._protect(api_title(ref) or str(ref), level, "cop-connector: managed page")

    def freeze_space(self, spec: SpaceSpec, *, frozen: bool) -> str:
        """Protect every page of the namespace (edit and move: administrators only), or
        lift that protection: one listing of the namespace, then one request per page.
        The bot password needs the "protect" grant. New pages can still be created in the
        namespace: MediaWiki protects a namespace only in LocalSettings.php
        (``$wgNamespaceProtection``), which the answer names. Raises BackendError
        subclasses (PermissionDenied without the right)."""
        number = int(self.check_space(spec).space_id)
        listing = {"list": "allpages", "apnamespace": number, "aplimit": "max"}
        try:
            titles = [page["title"] for response in self._query_all(listing, "reads")
                      for page in response.get("query", {}).get("allpages", [])]
        except (KeyError, TypeError) as error:
            raise BackendError(f"unexpected answer from the wiki (no {error})",
                               backend=self.name) from error
        level = "sysop" if frozen else "all"
        reason = ("cop-connector: the community is archived" if frozen
                  else "cop-connector: the community is reopened")
        for title in titles:
            self._protect(title, level, reason)
        if not frozen:
            return f"{len(titles)} page(s) unprotected"
        return (f"{len(titles)} page(s) protected (new pages can still be created in the "
                f"namespace: $wgNamespaceProtection[{number}] = ['editprotected']; in "
                "LocalSettings.php prevents it)")

    def _protect(self, title: str, level: str, reason: str) -> None:
        self._write("protect", title, {"title": title, "expiry": "infinite",
                                       "protections": f"edit={level}|move={level}",
                                       "reason": reason})
