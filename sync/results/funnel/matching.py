"""Where market pull meets techno push (pure): which needs no capability answers yet, which
capabilities no need asked for, and the matches between them, within a community and across
communities (the cross-functional match the method is for).

The rule, stated so that every match can be explained:

* a subject **has a need** when its Need is written, or it names a competitor offer or a
  regulatory text of its space (market information); it **has a capability** when its
  Capability is written, or it names a watch item or a technical reference (technology);
* a need **waits** when its subject has no capability of its own and is neither launched
  nor dropped; any subject with a capability, but a dropped one, **offers** it;
* a waiting need and an offering subject (of any community, itself aside) **match** when
  they share a keyword (their Keywords, and the tags of the watch items they name,
  compared loosely: case, accents and punctuation aside) or an entry they both name (the
  same web address, or the same reference in two spaces). The match says which;
* a need that matches nothing is **unanswered**; a subject with a capability and no need,
  not launched nor dropped, that no waiting need matches is **unasked**.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from page_templates.values import loose, url_key
from sync.engine.links import LinkedEntry
from sync.method.ideas import DROPPED, LAUNCHED, Subject
from sync.results.funnel.model import Match, SubjectLine

PULL_KINDS = frozenset({"competition", "regulation"})  # entries that tell a need
PUSH_KINDS = frozenset({"watch", "references"})  # entries that tell a capability


def has_need(subject: Subject) -> bool:
    return bool(subject.get("need")) or any(e.kind in PULL_KINDS for e in subject.linked)


def has_capability(subject: Subject) -> bool:
    return bool(subject.get("capability")) or any(e.kind in PUSH_KINDS
                                                  for e in subject.linked)


def waits(subject: Subject) -> bool:
    """A need without a capability of its own, still open."""
    return has_need(subject) and not has_capability(subject) and \
        subject.status not in (LAUNCHED, DROPPED)


def offers(subject: Subject) -> bool:
    return has_capability(subject) and subject.status != DROPPED


def keywords(subject: Subject) -> dict[str, str]:
    """Loose form -> the keyword as written: the subject's own, then its entries' tags."""
    found: dict[str, str] = {}
    own = [t.strip() for t in subject.get("tags").split(",")]
    for tag in own + [t for e in subject.linked for t in e.tags]:
        if loose(tag):
            found.setdefault(loose(tag), tag.strip())
    return found


def entry_ids(subject: Subject) -> dict[str, str]:
    """What identifies each entry a subject names across spaces -> its label: its web
    address, else its kind and key (a reference's code)."""
    return {_identity(e): e.label for e in subject.linked}


def _identity(entry: LinkedEntry) -> str:
    return url_key(entry.url).rstrip("/") if entry.url else f"{entry.kind}:{entry.key}"


def line(subject: Subject, names: Mapping[str, str]) -> SubjectLine:
    return SubjectLine(subject.community, names.get(subject.community, subject.community),
                       subject.key, subject.title, subject.status, subject.status_since[:10],
                       subject.get("owner"), subject.get("project"), subject.get("reason"))


def matches(subjects: Sequence[Subject], names: Mapping[str, str]) -> list[Match]:
    """Every match between a waiting need and an offering subject, in the subjects'
    order (needs first)."""
    found = []
    offering = [s for s in subjects if offers(s)]
    for need in (s for s in subjects if waits(s)):
        words, ids = keywords(need), entry_ids(need)
        for other in offering:
            if other is need:
                continue
            theirs, their_ids = keywords(other), entry_ids(other)
            shared = tuple(words[k] for k in words if k in theirs)
            both = tuple(ids[k] for k in ids if k in their_ids)
            if shared or both:
                found.append(Match(line(need, names), line(other, names), shared, both))
    return found


def pull_push(here: Sequence[Subject], everyone: Sequence[Subject],
              names: Mapping[str, str]) -> tuple[tuple[SubjectLine, ...],
                                                  tuple[SubjectLine, ...], tuple[Match, ...]]:
    """For one community's subjects ``here`` among ``everyone``'s (theirs included): its
    unanswered needs, its unasked capabilities, and the matches its subjects are in."""
    slug = {s.community for s in here}
    every = matches(everyone, names)
    mine = tuple(m for m in every if m.need.community in slug or
                 m.capability.community in slug)
    needs_met = {(m.need.community, m.need.key) for m in every}
    asked = {(m.capability.community, m.capability.key) for m in every}
    unanswered = tuple(line(s, names) for s in here
                       if waits(s) and (s.community, s.key) not in needs_met)
    unasked = tuple(line(s, names) for s in here
                    if offers(s) and not has_need(s) and s.status != LAUNCHED
                    and (s.community, s.key) not in asked)
    return unanswered, unasked, mine
