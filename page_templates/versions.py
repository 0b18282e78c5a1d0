"""The version a page carries: which definition of its kind it was made from.

``template_version(kind)`` is ``"<shipped>.<company>-<fingerprint>"``, e.g. ``"1.0-3fa2b1c9"``:
the shipped kind's ``version``, the company override's ``version`` (0 without one), and
the first 8 hex digits of a SHA-256 of the whole effective definition (fields, sections,
texts in every language, the UI sentences). The numbers are for people; the fingerprint
makes an edit without a version bump a new version all the same. Stored in the page state
and on the page (see the codecs' markers).
"""

from __future__ import annotations

import hashlib
import json

from msgspec import to_builtins

from .model import PageKind


def fingerprint(kind: PageKind) -> str:
    """8 hex digits identifying the effective definition of ``kind``."""
    data = json.dumps(to_builtins(kind), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:8]


def template_version(kind: PageKind) -> str:
    """``"<shipped version>.<company version>-<fingerprint>"``."""
    return f"{kind.version}.{kind.company_version}-{fingerprint(kind)}"

