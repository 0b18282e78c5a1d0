"""Template calls on a page that are not its rows but look like rows: the row template of
another kind (a watch item pasted on the References page), or a near-miss of a row
template's name (``{{cop watch}}``, ``{{CoP Watch}}``, ``{{CoP wach}}``).

MediaWiki ignores the case of a title's first letter only, so ``{{cop watch}}`` calls the
template ``Cop watch``, which does not exist: the member sees a red link and the sync, which
reads the calls of ``CoP watch``, would see nothing. Such calls are reported with the row
they stand for, never read as rows (the page would keep showing them broken).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from msgspec import Struct

from page_templates import PageKind, normalize_template_name

from ..base import OtherRows

# How close a name must be to a row template's to be taken for a misspelling of it
# (difflib's ratio over the names without case, spaces or punctuation): "CoP wach" and
# "CoP members" are, "CoP" or "Copyright" are not.
NEAR = 0.85


class OtherCall(Struct, frozen=True):
    """What a call that is not one of the page's rows stands for: ``template`` is the row
    template it is (or resembles); ``other`` the kind it belongs to, None for the page's own
    kind (a misspelt name of the page's own row template)."""

    template: str
    other: OtherRows | None


class OtherCalls:
    """Tells, by the (normalized) name of a call, whether it is another kind's row or a
    near-miss of a row template's name. One per parse: names are classified once."""

    def __init__(self, kind: PageKind, others: Mapping[str, OtherRows] | None) -> None:
        self.wanted = normalize_template_name(kind.row_template or "")
        self.exact = {normalize_template_name(name): info
                      for name, info in (others or {}).items()}
        self.exact.pop(self.wanted, None)
        self.loose = {loose(name): name for name in (self.wanted, *self.exact) if name}
        self._seen: dict[str, OtherCall | None] = {}

    def __call__(self, name: str) -> OtherCall | None:
        """The call named ``name`` (normalized) as another row, or None (the page's own
        row template, or any other template: prose, navigation, a company's own)."""
        if name not in self._seen:
            self._seen[name] = self._classify(name)
        return self._seen[name]

    def _classify(self, name: str) -> OtherCall | None:
        if name == self.wanted or not name:
            return None
        if name in self.exact:
            return OtherCall(name, self.exact[name])
        written = loose(name)
        if not written or "#" in name or ":" in name:  # parser functions, other namespaces
            return None
        if written not in self.loose:
            close = difflib.get_close_matches(written, list(self.loose), n=1, cutoff=NEAR)
            if not close:
                return None
            written = close[0]
        template = self.loose[written]
        return OtherCall(template, self.exact.get(template))


def loose(name: str) -> str:
    """A template name compared loosely: case-folded, letters and digits only."""
    return "".join(c for c in name.casefold() if c.isalnum())
