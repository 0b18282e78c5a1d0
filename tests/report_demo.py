"""Records of two communities with three months of history, for the HTML report's test and
the README's screenshot; and headless Chromium to look at the report as a person would.

The history is simulated: rows and contributions are written into the records with the
times they would have had (the report reads nothing else), nothing touches a wiki.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from page_templates import shipped
from sync.config.health import HealthConfig
from sync.config.loader import Config
from sync.records.model import Community, Seminar, Workshop
from sync.records.store import Records
from sync.results.health.run import all_health
from sync.results.history import StoredContribution, save_contributions
from sync.results.report.html import html_report

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--hide-scrollbars"]
MEMBERS = [("claire.martin@corp.example", "Claire Martin", "marketing", "pilot"),
           ("karim.haddad@corp.example", "Karim Haddad", "R&D", "expert"),
           ("julie.roux@corp.example", "Julie Roux", "ventes", "member"),
           ("paul.henry@corp.example", "Paul Henry", "R&D", "member"),
           ("lea.martin@corp.example", "Léa Martin", "marketing", "member"),
           ("tom.bernard@corp.example", "Tom Bernard", "production", "member"),
           ("ines.roy@corp.example", "Inès Roy", "Recherche", "member")]
WATCH = ["Sodium-ion cells reach 160 Wh/kg", "Solid-state pilot line in Grenoble",
         "LFP prices fall again", "Recycling: 95 % lithium recovery", "Cell-to-pack designs",
         "Dry electrode coating", "Silicon anodes in production", "Second-life storage",
         "Fast charging at 6C", "Battery passport pilots"]


def stamp(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def community(slug: str, name: str, lang: str, created_days_ago: int) -> Community:
    return Community(slug=slug, name=name, theme="Energy storage", pilot=MEMBERS[0][0],
                     expert=MEMBERS[1][0], backend="mediawiki", lang=lang,
                     space=f"CoP_{slug.title()}", created_at=stamp(created_days_ago),
                     updated_at=stamp(created_days_ago))


def build(path: Path) -> Records:
    """The records: "batterie" (French, lively) and "hydrogen" (English, fading, its
    regulation page overdue)."""
    records = Records.open(path)
    lively = community("batterie", "Stockage batterie", "fr", 240)
    fading = community("hydrogen", "Hydrogen mobility", "en", 400)
    for item in (lively, fading):
        records.add_community(item)
    for number, (email, name, profile, role) in enumerate(MEMBERS):
        records.upsert_entry("batterie", "members", email, {
            "email": email, "name": name, "profile": profile, "role": role},
            origin="command" if number < 2 else "wiki", now=stamp(200 - number * 20))
    for email, name, profile, role in MEMBERS[:3]:
        records.upsert_entry("hydrogen", "members", email, {
            "email": email, "name": name, "profile": profile, "role": role},
            origin="wiki", now=stamp(380))
    _lively_history(records)
    _fading_history(records)
    _ideas(records)
    return records


def _lively_history(records: Records) -> None:
    edits = []
    users = ["Julie_roux", "Karim Haddad", "Paul.henry", "Lea_Martin", "Inès Roy",
             "Tom Bernard"]
    for number, title in enumerate(WATCH):
        when = 84 - number * 8
        records.upsert_entry("batterie", "watch", f"https://example.com/w{number}",
                             {"title": title, "date": stamp(when)[:10]}, origin="wiki",
                             now=stamp(when))
        edits.append(("watch", "Veille", users[number % len(users)], when + 0.01))
        edits.append(("watch", "Veille", users[(number * 2) % 4], when - 1.5))
    for number in range(4):
        records.upsert_entry("batterie", "regulation", f"EU-{number}",
                             {"ref": f"EU-{number}", "title": f"Règlement {number}"},
                             origin="wiki", now=stamp(70 - number * 15))
        edits.append(("regulation", "Réglementation", users[1], 70 - number * 15 + 0.01))
        if number % 2 == 0:  # reviewed again ten days later
            records.upsert_entry("batterie", "regulation", f"EU-{number}",
                                 {"ref": f"EU-{number}", "title": f"Règlement {number} (v2)"},
                                 origin="wiki", now=stamp(60 - number * 15))
            edits.append(("regulation", "Réglementation", users[3], 60 - number * 15 + 0.01))
    for number in range(3):
        records.upsert_entry("batterie", "competition", f"acme-{number}",
                             {"competitor": "Acme", "offer": f"Cell {number}"},
                             origin="wiki", now=stamp(60 - number * 20))
        edits.append(("competition", "Concurrence", users[0], 60 - number * 20 + 0.01))
    records.upsert_entry("batterie", "references", "IEC 62660",
                         {"ref": "IEC 62660", "title": "Li-ion cells"}, origin="wiki",
                         now=stamp(45))
    edits.append(("references", "Référentiels techniques", users[2], 45.01))
    save_contributions(records, [
        StoredContribution("batterie", kind, f"CoP Batterie:{title}", user, stamp(days))
        for kind, title, user, days in edits])


def _fading_history(records: Records) -> None:
    records.upsert_entry("hydrogen", "regulation", "EU-2023/1804",
                         {"ref": "EU-2023/1804", "title": "AFIR"}, origin="wiki",
                         now=stamp(300))
    records.upsert_entry("hydrogen", "watch", "https://example.com/h2",
                         {"title": "H2 buses in Pau"}, origin="wiki", now=stamp(85))
    save_contributions(records, [
        StoredContribution("hydrogen", "watch", "CoP Hydrogen:Watch", "Julie_roux",
                           stamp(85)),
        StoredContribution("hydrogen", "regulation", "CoP Hydrogen:Regulation", "Karim Haddad",
                           stamp(300))])


# The subjects of the Ideas pages: (community, title, fields, [(status, days ago)...]).
SUBJECTS = [
    ("batterie", "Recharge rapide des chariots",
     {"need": "Les clients logistique veulent recharger en une heure",
      "capability": "Notre banc d'essai cellules", "tags": "recharge rapide, fast charging",
      "owner": "Léa Martin", "project": "INNO-12"},
     [("idea", 80), ("studied", 60), ("proposed", 40), ("launched", 20)]),
    ("batterie", "Démarrage à froid", {"need": "Flottes du nord", "owner": "Paul Henry",
                                       "capability": "Film chauffant",
                                       "origin": "Séminaire 2026, atelier Basses températures"},
     [("idea", 50), ("proposed", 10)]),
    ("batterie", "Recyclage des cellules", {"reason": "Pas de marché à court terme"},
     [("idea", 100), ("dropped", 30)]),
    ("batterie", "Packs pour drones", {"need": "Clients drones", "tags": "drones"},
     [("idea", 5)]),
    ("batterie", "Électrolyte solide", {"capability": "Notre ligne pilote"},
     [("studied", 25)]),
    ("hydrogen", "Forklift refuelling", {"need": "Logistics fleets want fast refuelling",
                                         "tags": "Fast-Charging"},
     [("idea", 70)]),
]


def _ideas(records: Records) -> None:
    records.add_seminar(Seminar(2026, "Journées des communautés", "2026-09-14", 2, "Lyon"))
    records.add_workshop(Workshop(2026, "batterie", "Basses températures"))
    for slug, title, fields, steps in SUBJECTS:
        key = title.casefold()
        status = steps[-1][0]
        records.upsert_entry(slug, "ideas", key, {"title": title, "status": status, **fields},
                             origin="wiki", now=stamp(steps[0][1]))
        previous = ""
        for stage, days in steps:
            records.record_status_changes(slug, "ideas", [(key, previous, stage)],
                                          at=stamp(days), by="wiki")
            previous = stage
        records.db.execute("UPDATE entries SET updated_at = ? WHERE community = ? AND "
                           "kind = 'ideas' AND key = ?", (stamp(steps[-1][1]), slug, key))


def report(records: Records, slugs: list[str], lang: str = "en", since_days: int = 90) -> str:
    config = Config(path=Path("cop.toml"), records_path=Path("cop.db"), health=HealthConfig())
    communities = [c for c in records.communities() if c.slug in slugs]
    since = stamp(since_days)[:10]
    healths = all_health(records, shipped(), config, communities, since=since,
                         now=stamp(0))
    return html_report(healths, lang, stamp(0)[:10])


# --- Chromium -------------------------------------------------------------------------------------

def chromium() -> str:
    """The browser, or skip (fail where COP_REQUIRE_CHROMIUM=1, as in CI)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    reason = "Chromium is not installed (scripts/setup installs Debian's chromium package)"
    if os.environ.get("COP_REQUIRE_CHROMIUM") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def run_chromium(*args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                               *args], capture_output=True, text=True, timeout=120,
                              check=True)


def screenshot(page: Path, png: Path, width: int, height: int) -> None:
    run_chromium(f"--screenshot={png}", f"--window-size={width},{height}", page.as_uri())
    assert png.exists(), f"Chromium made no screenshot of {page}"


def dump_dom(page: Path) -> str:
    return run_chromium("--dump-dom", page.as_uri()).stdout
