"""The method in the records: themes, decisions, seminars and workshops.

A mixin of ``Records`` (sync/records/store.py): same connection, same transactions.
"""

from __future__ import annotations

from typing import Any

from connector.errors import RecordsChanged
from sync.records.model import Decision, Seminar, Theme, Workshop

THEME_COLUMNS = ("slug", "title", "axis", "portfolio", "status", "created_at", "decided_at",
                 "decided_by", "note")


class MethodRecords:
    db: Any

    def transaction(self) -> Any:  # provided by Records
        raise NotImplementedError

    # --- themes ---------------------------------------------------------------------------

    def add_theme(self, theme: Theme) -> None:
        """Record a theme after the others (its position keeps the order of proposal)."""
        marks = ", ".join("?" for _ in THEME_COLUMNS)
        with self.transaction():
            self.db.execute(f"INSERT INTO themes ({', '.join(THEME_COLUMNS)}, position) "
                            f"VALUES ({marks}, (SELECT coalesce(max(position), 0) + 1 "
                            "FROM themes))", [getattr(theme, c) for c in THEME_COLUMNS])

    def save_theme(self, theme: Theme, *, expected: Theme | None = None) -> None:
        """Save a changed theme. ``expected``: the theme as the command read it; if the
        records hold something else now, RecordsChanged (nothing saved)."""
        assignments = ", ".join(f"{c} = ?" for c in THEME_COLUMNS[1:])
        with self.transaction():
            if expected is not None and self.theme(theme.slug) != expected:
                raise RecordsChanged(f"theme {theme.slug}")
            self.db.execute(f"UPDATE themes SET {assignments} WHERE slug = ?",
                            [*(getattr(theme, c) for c in THEME_COLUMNS[1:]), theme.slug])

    def theme(self, slug: str) -> Theme | None:
        row = self.db.execute("SELECT * FROM themes WHERE slug = ?", (slug,)).fetchone()
        return Theme(**{c: row[c] for c in THEME_COLUMNS}) if row else None

    def themes(self) -> list[Theme]:
        rows = self.db.execute("SELECT * FROM themes ORDER BY position, slug")
        return [Theme(**{c: row[c] for c in THEME_COLUMNS}) for row in rows]

    # --- decisions (themes decided, communities' lifecycle) -------------------------------

    def add_decision(self, decision: Decision) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO decisions (subject, slug, previous, decision, decided_by, note, "
                "at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (decision.subject, decision.slug, decision.previous, decision.decision,
                 decision.decided_by, decision.note, decision.at))

    def decisions(self, subject: str, slug: str | None = None) -> list[Decision]:
        sql, args = "SELECT * FROM decisions WHERE subject = ?", [subject]
        if slug is not None:
            sql, args = sql + " AND slug = ?", [*args, slug]
        rows = self.db.execute(sql + " ORDER BY id", args)
        return [Decision(subject=r["subject"], slug=r["slug"], decision=r["decision"],
                         previous=r["previous"], decided_by=r["decided_by"], note=r["note"],
                         at=r["at"], id=r["id"]) for r in rows]

    # --- seminars and workshops -----------------------------------------------------------

    def add_seminar(self, seminar: Seminar) -> None:
        with self.transaction():
            self.db.execute("INSERT INTO seminars (year, title, start, days, place, "
                            "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                            (seminar.year, seminar.title, seminar.start, seminar.days,
                             seminar.place, seminar.created_at))

    def seminar(self, year: int) -> Seminar | None:
        row = self.db.execute("SELECT * FROM seminars WHERE year = ?", (year,)).fetchone()
        return _seminar(row) if row else None

    def seminars(self) -> list[Seminar]:
        return [_seminar(row) for row in self.db.execute("SELECT * FROM seminars ORDER BY year")]

    def add_workshop(self, workshop: Workshop) -> None:
        with self.transaction():
            self.db.execute("INSERT INTO workshops (year, community, title, created_at) "
                            "VALUES (?, ?, ?, ?)", (workshop.year, workshop.community,
                                                    workshop.title, workshop.created_at))

    def workshops(self, year: int | None = None,
                  community: str | None = None) -> list[Workshop]:
        sql, args = "SELECT * FROM workshops WHERE 1 = 1", []
        if year is not None:
            sql, args = sql + " AND year = ?", [*args, year]
        if community is not None:
            sql, args = sql + " AND community = ?", [*args, community]
        rows = self.db.execute(sql + " ORDER BY year, community, created_at, title", args)
        return [Workshop(year=r["year"], community=r["community"], title=r["title"],
                         created_at=r["created_at"]) for r in rows]


def _seminar(row: Any) -> Seminar:
    return Seminar(year=row["year"], title=row["title"], start=row["start"], days=row["days"],
                   place=row["place"], created_at=row["created_at"])
