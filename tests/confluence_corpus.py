"""The corpus of community pages as Confluence Cloud's and Data Center's editors store them
(tests/fixtures/confluence_corpus, whose README says where each form comes from), and what
each page must read as: every row, field by field, in canonical values."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "fixtures" / "confluence_corpus"
PILOT, EXPERT = "claire@corp.example", "karim@corp.example"


@dataclass(frozen=True)
class Community:
    """The community the corpus pages of one deployment belong to (as ``cop community
    add`` registers it)."""

    deployment: str  # "cloud" | "dc"
    slug: str
    name: str
    lang: str
    space: str
    titles: dict[str, str]  # kind -> page title
    theme: str = "Energy storage"


CLOUD = Community("cloud", "battery", "Battery storage", "en", "BATTERY", {
    "charter": "Charter", "members": "Members", "watch": "Watch", "references": "References",
    "regulation": "Regulation", "competition": "Competition"})
DC = Community("dc", "hydrogen", "Hydrogène", "fr", "HYDROGEN", {
    "charter": "Charte", "members": "Membres", "watch": "Veille",
    "references": "Référentiels techniques", "regulation": "Réglementation",
    "competition": "Concurrence"})
COMMUNITIES = {"cloud": CLOUD, "dc": DC}
KINDS = ("charter", "members", "watch", "references", "regulation", "competition")


def page(deployment: str, kind: str) -> str:
    """The stored body of one corpus page."""
    return (CORPUS / deployment / f"{kind}.xhtml").read_text(encoding="utf-8")


# Every row each page reads as (normalize_row's canonical values; empty fields left out),
# in table order; blank rows give none.
ROWS: dict[tuple[str, str], list[dict[str, str]]] = {
    ("cloud", "charter"): [{
        "slug": "battery", "name": "Battery storage", "theme": "Energy storage",
        "axes": "Electrification; circular economy", "pilot": PILOT, "expert": EXPERT,
        "status": "pilot",
        "objectives": "Share test results between plants.\nPrepare the 2026 cell roadmap.",
        "scope": "Cells, modules and packs; not charging stations."}],
    ("cloud", "members"): [
        {"email": PILOT, "name": "Claire", "role": "pilot", "since": "2024-09-02"},
        {"email": EXPERT, "name": "Karim", "role": "expert", "since": "2024-09-02"},
        {"email": "zoe.martin@corp.example", "name": "Zoé Martin", "profile": "R&D",
         "role": "member", "site": "Lyon", "since": "2025-01-13"},
        {"email": "ann.lee@corp.example", "name": "Ann Lee", "profile": "sales",
         "role": "member", "site": "Grenoble", "since": "2025-02-03"}],
    ("cloud", "watch"): [
        {"date": "2025-01-15", "title": "Solid-state cells pass 500 Wh/kg",
         "url": "https://www.nature.com/articles/s41560-025-01234-5", "source": "Nature Energy",
         "summary": "A sulfide electrolyte keeps 80 % capacity after 1,000 cycles.\n"
                    "Worth a look for the 2026 roadmap",
         "tags": "solid-state, cells"},
        {"date": "2025-02-03", "title": "Sodium-ion pilot line opens in France",
         "url": "https://www.lesechos.fr/industrie-services/energie-environnement/"
                "sodium-ion-pilote",
         "source": "Les Echos", "summary": "Tiamat's line targets stationary storage first.",
         "tags": "sodium-ion"}],
    ("cloud", "references"): [
        {"ref": "IEC 62660-1",
         "title": "Secondary lithium-ion cells for EVs: performance testing", "version": "2018",
         "url": "https://webstore.iec.ch/publication/28605", "owner": "Karim",
         "summary": "Capacity, power and life tests."},
        {"ref": "SPEC-BAT-014", "title": "Cell incoming inspection", "version": "v3",
         "owner": "Quality team", "summary": "Sampling plan and acceptance criteria."}],
    ("cloud", "regulation"): [
        {"ref": "Regulation (EU) 2023/1542", "title": "Batteries and waste batteries",
         "jurisdiction": "EU", "status": "in-force", "effective": "2024-02-18",
         "url": "https://eur-lex.europa.eu/eli/reg/2023/1542/oj",
         "impact": "Battery passport from 2027.\n"
                   "Carbon footprint declaration for EV batteries."},
        {"ref": "UN 38.3", "title": "Transport of lithium batteries",
         "jurisdiction": "international", "status": "adopted",
         "impact": "Tests before any shipment."}],
    ("cloud", "competition"): [
        {"competitor": "Northvolt", "offer": "Voltpack Mobile",
         "positioning": "Industrial vehicles, premium",
         "strengths": "Ready-made modules\nEuropean supply chain",
         "weaknesses": "Restructuring in 2025", "updated": "2025-03-10",
         "url": "https://northvolt.com/products/"}],
    ("dc", "charter"): [{
        "slug": "hydrogen", "name": "Hydrogène", "theme": "Energy storage",
        "axes": "Décarbonation", "pilot": PILOT, "expert": EXPERT, "status": "pilot",
        "objectives": "Partager les retours d'essais.\nPréparer la feuille de route 2026.",
        "scope": "Production et stockage ; pas la mobilité."}],
    ("dc", "members"): [
        {"email": PILOT, "name": "Claire", "role": "pilot", "since": "2024-09-02"},
        {"email": EXPERT, "name": "Karim", "role": "expert", "since": "2024-09-02"},
        {"email": "lea.dubois@corp.example", "name": "Léa Dubois", "profile": "Ventes",
         "role": "member", "site": "Lyon", "since": "2025-01-13"}],
    ("dc", "watch"): [
        {"date": "2025-01-20", "title": "Électrolyseurs PEM : le coût baisse de 30 %",
         "url": "https://www.iea.org/reports/global-hydrogen-review-2024", "source": "AIE",
         "summary": "Revue annuelle de l'AIE.\nÀ lire avant le séminaire",
         "tags": "électrolyse, coûts"},
        {"date": "2025-02-11", "title": "Stockage en cavité saline à Manosque",
         "url": "https://www.geomethane.fr/hypster", "source": "Géométhane",
         "summary": "Premier démonstrateur « HyPSTER ».", "tags": "stockage"}],
    ("dc", "references"): [
        {"ref": "ISO 19880-1", "title": "Carburant gazeux d'hydrogène — Stations-service",
         "version": "2020", "url": "https://www.iso.org/standard/71940.html", "owner": "Karim",
         "summary": "Exigences générales des stations."},
        {"ref": "NT-H2-007", "title": "Essais d'étanchéité des réservoirs", "version": "v2",
         "owner": "Équipe qualité",
         # a page link keeps its target in a text field (label <page title>)
         "summary": "Procédure interne.\nVoir aussi la réglementation <Réglementation>."}],
    ("dc", "regulation"): [
        {"ref": "Règlement (UE) 2023/1804",
         "title": "Infrastructures pour carburants alternatifs (AFIR)", "jurisdiction": "UE",
         "status": "in-force", "effective": "2024-04-13",
         "url": "https://eur-lex.europa.eu/eli/reg/2023/1804/oj",
         "impact": "Stations hydrogène tous les 200 km sur le réseau central.\n"
                   "échéance 2030"},
        {"ref": "Arrêté du 1er juillet 2024", "title": "Traçabilité de l'hydrogène bas carbone",
         "jurisdiction": "France", "status": "draft", "impact": "Garanties d'origine."}],
    ("dc", "competition"): [
        {"competitor": "McPhy", "offer": "Électrolyseur McLyzer 3.2",
         "positioning": "Industrie, grande puissance",
         "strengths": "Alcalin pressurisé\nFabrication en France", "weaknesses": "Trésorerie",
         "updated": "2025-03-04",
         "url": "https://mcphy.com/fr/equipements-services/electrolyseurs/"}],
}
# Members' own columns that hold text, by page (reported as columns cop does not read).
OWN_COLUMNS = {("cloud", "members"): "Notes", ("dc", "members"): "Remarques"}
# The pages whose rows table has the editors' "numbered rows" column.
NUMBERED = (("cloud", "members"), ("dc", "members"), ("dc", "regulation"))
