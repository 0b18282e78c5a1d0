"""``cop export --kind ideas``: the subjects of the Ideas pages as the innovation portfolio
needs them, one per line (CSV) or with their history (JSON): the row's fields, its
community, when it was first seen and reached its status, the seminar workshop it came from
and the entries of its space it names."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from page_templates import TemplateSet
from sync.clock import utc_now
from sync.method.ideas import Subject, ideas_kind, read_subjects
from sync.records.export import cell
from sync.records.model import Community
from sync.records.schema import SCHEMA_VERSION
from sync.records.store import Records

DATES = ("first_seen", "status_since", "updated_at", "deleted_at")


def subjects_of(records: Records, templates: TemplateSet, communities: Sequence[Community],
                *, include_deleted: bool = False) -> list[Subject]:
    return [s for c in communities for s in read_subjects(records, templates, c,
                                                          include_deleted=include_deleted)]


def ideas_json(records: Records, templates: TemplateSet, communities: Sequence[Community],
               *, include_deleted: bool = False) -> dict[str, Any]:
    """Every subject with its fields, dates, history and named entries."""
    names = {c.slug: c.name for c in communities}
    return {"exported_at": utc_now(), "schema_version": SCHEMA_VERSION,
            "subjects": [subject_json(s, names, _fields(templates))
                         for s in subjects_of(records, templates, communities,
                                              include_deleted=include_deleted)]}


def subject_json(subject: Subject, names: dict[str, str],
                 fields: Sequence[str]) -> dict[str, Any]:
    data: dict[str, Any] = {"community": subject.community,
                            "community_name": names.get(subject.community, ""),
                            "key": subject.key}
    data.update({name: subject.get(name) for name in fields})
    data.update({k: v for k, v in subject.values.items() if k not in data})  # company fields
    data.update({"first_seen": subject.first_seen, "status_since": subject.status_since,
                 "updated_at": subject.updated_at, "deleted_at": subject.deleted_at,
                 "workshop": {"year": subject.workshop[0], "title": subject.workshop[1]}
                 if subject.workshop else None,
                 "history": [{"status": status, "since": since}
                             for status, since in subject.history],
                 "linked": [{"kind": e.kind, "key": e.key, "label": e.label, "url": e.url}
                            for e in subject.linked],
                 "unknown_links": list(subject.unknown)})
    return data


def ideas_csv(records: Records, templates: TemplateSet, communities: Sequence[Community],
              *, include_deleted: bool = False) -> str:
    """One line per subject: community, its name, key, the fields, the dates, the
    workshop ("2027: title") and the named entries' labels."""
    names = {c.slug: c.name for c in communities}
    fields = _fields(templates)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["community", "community_name", "key", *fields, *DATES, "workshop",
                     "linked"])
    for s in subjects_of(records, templates, communities, include_deleted=include_deleted):
        workshop = f"{s.workshop[0]}: {s.workshop[1]}" if s.workshop else ""
        writer.writerow([s.community, cell(names.get(s.community, "")), cell(s.key),
                         *(cell(s.get(name)) for name in fields),
                         s.first_seen, s.status_since, s.updated_at, s.deleted_at or "",
                         cell(workshop), cell("; ".join(e.label for e in s.linked))])
    return out.getvalue()


def _fields(templates: TemplateSet) -> tuple[str, ...]:
    kind = ideas_kind(templates)
    return kind.field_names if kind else ()
