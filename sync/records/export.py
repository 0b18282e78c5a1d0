"""``cop export``: the local records as JSON (nested) or CSV (one row per record)."""

from __future__ import annotations

import csv
import io
from typing import Any

from page_templates import TemplateSet
from page_templates.model import base_kind, instance_of
from sync.clock import utc_now
from sync.records.model import Community, Entry
from sync.records.schema import SCHEMA_VERSION
from sync.records.store import Records

COMMUNITY_FIELDS = ("slug", "name", "theme", "axes", "objectives", "scope", "pilot", "expert",
                    "sponsor", "status", "account", "backend", "lang", "space", "namespace_id",
                    "space_id", "created_at", "updated_at", "is_pilot", "theme_slug")
ROW_META = ("first_seen", "updated_at", "deleted_at")


def export_json(records: Records, templates: TemplateSet, communities: list[Community], *,
                include_deleted: bool = False) -> dict[str, Any]:
    """Every community with its rows by kind (live rows; tombstones too when asked)."""
    return {
        "exported_at": utc_now(),
        "schema_version": SCHEMA_VERSION,
        "communities": [_community(records, templates, c, include_deleted)
                        for c in communities],
    }


def _community(records: Records, templates: TemplateSet, community: Community,
               include_deleted: bool) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(community, name) for name in COMMUNITY_FIELDS}
    entries = records.entries(community.slug, include_deleted=include_deleted)
    for kind in templates.row_kinds:
        if kind.single:
            continue
        data[kind.kind] = [_row(entry, kind.field_names) for entry in entries
                           if base_kind(entry.kind) == kind.kind]
    return data


def _row(entry: Entry, fields: tuple[str, ...]) -> dict[str, Any]:
    row: dict[str, Any] = {"key": entry.key}
    if instance_of(entry.kind):  # a seminar page's rows: which seminar
        row["seminar"] = instance_of(entry.kind)
    row.update({name: entry.data.get(name, "") for name in fields})
    row.update({k: v for k, v in entry.data.items() if k not in row})  # company fields
    row.update({"first_seen": entry.first_seen, "updated_at": entry.updated_at})
    if entry.deleted_at:
        row.update({"deleted_at": entry.deleted_at, "deleted_by": entry.deleted_by})
    return row


def export_csv(records: Records, templates: TemplateSet, communities: list[Community], *,
               kind: str | None = None, include_deleted: bool = False) -> str:
    """One line per row: community, kind, key, the fields (of ``kind``, or of every kind,
    in page order), and the row's dates."""
    kinds = [k for k in templates.row_kinds if not k.single and (kind is None or
                                                                  k.kind == kind)]
    fields = list(dict.fromkeys(name for k in kinds for name in k.field_names))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["community", "kind", "key", *fields, *ROW_META])
    for community in communities:
        for entry in records.entries(community.slug, include_deleted=include_deleted):
            if base_kind(entry.kind) not in {k.kind for k in kinds}:
                continue
            writer.writerow([community.slug, entry.kind, entry.key,
                             *(cell(entry.data.get(name, "")) for name in fields),
                             entry.first_seen, entry.updated_at, entry.deleted_at or ""])
    return out.getvalue()


def cell(value: str) -> str:
    """Guard spreadsheets against formula injection (a value starting with = + - @)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
