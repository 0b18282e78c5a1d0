"""The snapshot of an archived community as one HTML file: no script, no external resource
(a Content-Security-Policy forbids any fetch), readable in any browser years later.

The records first (charter fields, lifecycle, theme, seminars), then each page: its rows as
tables with the column titles of the community's language (removed rows marked), and the
page's source as the wiki held it, in a collapsed block.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from page_templates import PageKind, TemplateSet, localize

CSP = "default-src 'none'; style-src 'unsafe-inline'"
STYLE = """body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #bbb;
padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:#eee}
tr.removed td{color:#888;text-decoration:line-through}pre{white-space:pre-wrap;
background:#f6f6f6;padding:.5rem}"""
CHARTER_FIELDS = ("name", "theme", "axes", "status", "pilot", "expert", "sponsor", "account",
                  "objectives", "scope", "created_at")


def snapshot_html(data: Mapping[str, Any], templates: TemplateSet) -> str:
    """The document (see the module docstring) for ``data`` from sync/snapshot.py."""
    community = data["community"]
    lang = community["lang"]
    parts = [f"<h1>{escape(community['name'])}</h1>",
             f"<p>Snapshot of <code>{escape(community['slug'])}</code> taken "
             f"{escape(data['snapshot_at'])} by cop-connector.</p>",
             _table(("", ""), [(name, str(community.get(name) or "")) for name in
                                CHARTER_FIELDS], "records")]
    if data["decisions"]:
        parts += ["<h2>Lifecycle</h2>", _table(
            ("at", "from", "to", "by", "note"),
            [(d["at"], d["previous"], d["decision"], d["decided_by"], d["note"])
             for d in data["decisions"]], "lifecycle")]
    if data["workshops"]:
        parts += ["<h2>Workshops</h2>", _table(
            ("seminar", "workshop"), [(str(w["year"]), w["title"]) for w in data["workshops"]],
            "workshops")]
    shown: set[str] = set()
    for page in data["pages"]:
        parts.append(_page(page, data["pages"], data["rows"], templates, lang, shown))
    return ("<!DOCTYPE html>\n<html lang=\"" + escape(lang) + "\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
            f"<title>{escape(community['name'])} — snapshot</title><style>{STYLE}</style>"
            "</head><body>\n" + "\n".join(parts) + "\n</body></html>\n")


def _page(page: Mapping[str, Any], pages: Sequence[Mapping[str, Any]],
          rows: Mapping[str, list[Mapping[str, Any]]], templates: TemplateSet, lang: str,
          shown: set[str]) -> str:
    """A page once (row sets sharing it are shown under it): title, rows, source."""
    where = (page["space"], page["title"])
    if where in {(p["space"], p["title"]) for p in pages if p["key"] in shown}:
        return ""
    keys = [p["key"] for p in pages if (p["space"], p["title"]) == where]
    shown.update(keys)
    out = [f"<section class=\"page\" id=\"page-{escape(page['key'])}\">",
           f"<h2>{escape(page['title'])}</h2>"]
    for key in keys:
        kind = templates.get(key.partition("@")[0])
        if kind is not None and kind.has_rows and not kind.single:
            out.append(_rows_table(kind, key, rows.get(key, []), lang))
    out.append("<details><summary>Source</summary><pre>"
               f"{escape(page['content'])}</pre></details></section>")
    return "\n".join(out)


def _rows_table(kind: PageKind, key: str, rows: Sequence[Mapping[str, Any]],
                lang: str) -> str:
    headers = tuple(localize(f.label, lang) for f in kind.fields)
    body = "".join(
        f"<tr class=\"{'removed' if row.get('_deleted_at') else 'live'}\">"
        + "".join(f"<td>{escape(str(row.get(f.name, '')))}</td>" for f in kind.fields)
        + "</tr>" for row in rows)
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return (f"<h3>{escape(localize(kind.title, lang))}</h3><table class=\"rows\" "
            f"data-kind=\"{escape(key)}\"><thead><tr>{head}</tr></thead><tbody>{body}"
            "</tbody></table>")


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], name: str) -> str:
    head = "" if not any(headers) else \
        "<thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in headers) + "</tr></thead>"
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table class=\"{escape(name)}\">{head}<tbody>{body}</tbody></table>"
