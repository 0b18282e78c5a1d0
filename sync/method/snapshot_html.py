"""The snapshot of an archived community as one HTML file: no script, no external resource
(a Content-Security-Policy forbids any fetch), readable in any browser years later.

The records first (charter fields, lifecycle, theme, seminars), then each page: its rows as
tables with the column titles of the community's language (removed rows marked), and the
page's source as the wiki held it, in a collapsed block. Every text around them is in the
community's language too (report.toml ``[snapshot]``), choices by their label.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from page_templates import PageKind, TemplateSet, localize
from page_templates.report import report_text
from page_templates.values import display

CSP = "default-src 'none'; style-src 'unsafe-inline'"
STYLE = """body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #bbb;
padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:#eee}
tr.removed td{color:#888;text-decoration:line-through}pre{white-space:pre-wrap;
background:#f6f6f6;padding:.5rem}"""
CHARTER_FIELDS = ("name", "theme", "axes", "status", "pilot", "expert", "sponsor", "account",
                  "objectives", "scope", "created_at")


def snapshot_html(data: Mapping[str, Any], templates: TemplateSet) -> str:
    """The document (see the module docstring) for ``data`` from sync/method/snapshot.py."""
    community = data["community"]
    lang = community["lang"]

    def text(key: str, **values: object) -> str:
        return report_text(f"snapshot.{key}", lang, **values)

    charter = templates.get("charter")
    status = charter.field("status") if charter is not None else None

    def state(value: str) -> str:
        return display(status, value, lang) if status is not None and value else value

    parts = [f"<h1>{escape(community['name'])}</h1>",
             f"<p>{escape(text('taken', slug=community['slug'], date=data['snapshot_at']))}"
             "</p>",
             _table(("", ""), [(_charter_label(charter, name, lang),
                                state(str(community.get(name) or "")) if name == "status"
                                else str(community.get(name) or ""))
                               for name in CHARTER_FIELDS], "records")]
    if data["decisions"]:
        parts += [f"<h2>{escape(text('lifecycle'))}</h2>", _table(
            (text("at"), text("from"), text("to"), text("by"), text("note")),
            [(d["at"], state(d["previous"]), state(d["decision"]), d["decided_by"], d["note"])
             for d in data["decisions"]], "lifecycle")]
    if data["workshops"]:
        parts += [f"<h2>{escape(text('workshops'))}</h2>", _table(
            (text("seminar"), text("workshop")),
            [(str(w["year"]), w["title"]) for w in data["workshops"]], "workshops")]
    parts += [_page(page, data["rows"], templates, lang, text("source"))
              for page in data["pages"]]
    title = text("title", name=community["name"])
    return ("<!DOCTYPE html>\n<html lang=\"" + escape(lang) + "\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style>"
            "</head><body>\n" + "\n".join(parts) + "\n</body></html>\n")


def _charter_label(charter: PageKind | None, name: str, lang: str) -> str:
    definition = charter.field(name) if charter is not None else None
    if definition is not None:
        return localize(definition.label, lang)
    return report_text(f"snapshot.{name}", lang) if name == "created_at" else name


def _page(page: Mapping[str, Any], rows: Mapping[str, list[Mapping[str, Any]]],
          templates: TemplateSet, lang: str, source: str) -> str:
    """A page: its title, the tables of the row sets it holds, its source."""
    out = [f"<section class=\"page\" id=\"page-{escape(page['key'])}\">",
           f"<h2>{escape(page['title'])}</h2>"]
    for key in page.get("row_kinds", ()):
        kind = templates.get(key.partition("@")[0])
        if kind is not None:
            out.append(_rows_table(kind, key, rows.get(key, []), lang))
    out.append(f"<details><summary>{escape(source)}</summary><pre>"
               f"{escape(page['content'])}</pre></details></section>")
    return "\n".join(out)


def _rows_table(kind: PageKind, key: str, rows: Sequence[Mapping[str, Any]],
                lang: str) -> str:
    headers = tuple(localize(f.label, lang) for f in kind.fields)
    body = "".join(
        f"<tr class=\"{'removed' if row.get('_deleted_at') else 'live'}\">"
        + "".join(f"<td>{escape(display(f, str(row.get(f.name, '')), lang))}</td>"
                  for f in kind.fields)
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
