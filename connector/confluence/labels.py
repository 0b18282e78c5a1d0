"""The labels ``cop`` and ``cop-<kind>`` on the pages: added after each page is created, and
repaired by the next provisioning where a label write failed.

Adding labels is REST v1 only on Cloud (v2 reads them, one page at a time, but cannot add
them). Where the site refuses v1 (the API gateway answers 410 to scoped tokens), labels are
skipped for the rest of the run, with one warning that says which operation, why, and what
to do; ``confluence.labels = false`` skips them without trying.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from connector.base import PageRef
from connector.errors import BackendError, CopError

from .model import Dialect
from .settings import BACKEND
from .transport import V1Unavailable

log = logging.getLogger(__name__)


class Labels:
    """What the pages carry (as read or written in this run), and the label writes."""

    def __init__(self, dialect: Dialect, *, enabled: bool) -> None:
        self.dialect = dialect
        self.enabled = enabled
        self.known: dict[PageRef, tuple[str, tuple[str, ...]]] = {}  # ref -> (id, labels)
        self.failed: dict[PageRef, str] = {}  # written, but labelling failed: why
        self.refused = ""  # the site's refusal of v1 (410), once seen: labels are skipped
        self.skipped: set[PageRef] = set()
        self._told = False

    def learn(self, ref: PageRef, page_id: str, labels: tuple[str, ...] | None) -> None:
        if labels is not None:
            self.known[ref] = (page_id, labels)

    def add(self, ref: PageRef, page_id: str, labels: Sequence[str]) -> None:
        """Add ``labels`` to a page just written. A failure is kept for ``repair`` (the
        page is saved already: raising would leave a page the next run cannot adopt)."""
        if not labels or not self.enabled:
            return
        if self.refused:
            self.skipped.add(ref)
            return
        try:
            self.dialect.add_labels(page_id, labels, page=str(ref))
        except V1Unavailable as error:
            self._refuse(error, ref)
            return
        except CopError as error:
            log.warning("%s: saved, but its labels were not: %s", ref, error)
            self.failed[ref] = getattr(error, "detail", error.message)
            return
        have = self.known.get(ref, (page_id, ()))[1]
        self.known[ref] = (page_id, (*have, *[name for name in labels if name not in have]))

    def repair(self, wanted: Mapping[PageRef, Sequence[str]],
               pages: Mapping[str, PageRef]) -> list[str]:
        """Add the labels ``wanted`` pages lack. When some of them were not seen in this
        run, the labels of every known page not seen (``pages``: id -> ref) are looked up
        at once (``dialect.labels_of``, 200 a request): a provisioning of many communities
        asks once, not once per community. Returns notes (what was added, what was skipped
        and why); raises BackendError naming the pages whose label write failed in this
        run."""
        if not self.enabled:
            return []
        unseen = {pid: ref for pid, ref in pages.items() if ref not in self.known}
        if set(unseen.values()) & set(wanted) and not self.refused:
            try:
                for pid, labels in self.dialect.labels_of(list(unseen)).items():
                    if pid in unseen:
                        self.known[unseen[pid]] = (pid, labels)
            except V1Unavailable as error:
                self._refuse(error, None)
        notes = [note for ref, labels in wanted.items()
                 if (note := self._complete(ref, labels))]
        notes += self._skipped_note(wanted)
        self._raise_failed()
        return notes

    def _complete(self, ref: PageRef, labels: Sequence[str]) -> str:
        page_id, have = self.known.get(ref, ("", None))
        missing = [name for name in labels if have is not None and name not in have]
        if not missing:
            return ""
        failed = self.failed.pop(ref, None)  # tried again now
        self.add(ref, page_id, missing)
        if ref in self.skipped or ref in self.failed:
            if failed and ref not in self.failed:
                self.failed[ref] = failed
            return ""
        return f"{ref}: labels {', '.join(missing)} added"

    def _refuse(self, error: V1Unavailable, ref: PageRef | None) -> None:
        self.refused = error.detail
        if ref is not None:
            self.skipped.add(ref)
        log.warning("%s", error.detail)

    def _skipped_note(self, wanted: Mapping[PageRef, Sequence[str]]) -> list[str]:
        if not self.refused:
            return []
        pages = [ref for ref in wanted if ref in self.skipped or ref not in self.known]
        if not pages:
            return []
        if self._told:
            return [f"labels not added to {len(pages)} page(s) (see above)"]
        self._told = True
        return [f"labels not added to {len(pages)} page(s): {self.refused}"]

    def _raise_failed(self) -> None:
        failed, self.failed = self.failed, {}
        if failed:
            raise BackendError("saved, but the labels or cop-connector property of "
                               + "; ".join(f"{ref} ({why})" for ref, why in failed.items())
                               + " were not written; the next `cop provision` adds the "
                               "missing labels (a missing property stays missing: it only "
                               "matters to adopt the space if the records are lost)",
                               backend=BACKEND)
