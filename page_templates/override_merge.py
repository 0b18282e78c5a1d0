"""Merge one company override file into a shipped page kind (both as decoded TOML).

The rules (README, "Company templates"): per kind file, fields are matched by ``name`` and
sections by ``id``. For an existing one, the keys given replace the shipped ones, texts
(``title``, ``label``, ``help``, ``paragraphs``, ``bullets``) per language, choices by value;
a new name or id is appended, or placed with ``after = "<name or id>"``; ``remove = true``
drops it. Anything the file does not mention stays as shipped. A replaced label is kept as
an alias, so pages showing the old label still read.

Everything is checked here, before anything is written anywhere: unknown keys (typos must
not pass silently), keys an override cannot change (``row_template``, ``keys``, ``owner``,
the rows/help/index flags), a key field removed or retyped, a field a command fills
removed, a duplicate, an ``after`` naming nothing, removing the rows section. Errors are
TemplateDefinitionError naming the file and the field (or section).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from typing import Any

from page_templates.errors import TemplateDefinitionError

KIND_KEYS = {"kind", "version", "title", "row_label", "fields", "sections"}
FIELD_KEYS = {"name", "type", "required", "label", "help", "default", "choices", "aliases",
              "after", "remove"}
SECTION_KEYS = {"id", "title", "paragraphs", "bullets", "after", "remove"}
# Keys of the shipped format an override may not set, and why.
FIXED = {
    "row_template": "the row template's name is fixed (every existing row calls it)",
    "keys": "the row key is fixed (it identifies the rows already recorded)",
    "single": "the shape of a kind is fixed", "two_way": "the shape of a kind is fixed",
    "owner": "which side owns a field is fixed (new fields are edited on the wiki)",
    "rows": "the rows, help and index sections are shipped; change their title or prose",
    "help": "the rows, help and index sections are shipped; change their title or prose",
    "index": "the rows, help and index sections are shipped; change their title or prose",
    "part": "which rows a section holds is fixed (the seminar page's attendance, actions)",
    "to_review": "where the sources' entries are proposed is fixed (the Watch page's "
                 "to-review section)",
    "list": "a section's list comes from the records (a seminar's days, workshops)",
    "per": "the shape of a kind is fixed (one page per community, or per seminar)",
}
LANG_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
SECTION_ID = re.compile(r"^[a-z][a-z0-9_-]*$")
RESERVED_FIELDS = {"lang"}  # the charter block's own parameter (its labels' language)


class _Errors:
    """Raise TemplateDefinitionError for one override file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __call__(self, message: str, field: str | None = None) -> TemplateDefinitionError:
        return TemplateDefinitionError(message, path=self.path, field=field)


def merge_kind(shipped: Mapping[str, Any], override: Mapping[str, Any],
               path: str) -> dict[str, Any]:
    """The shipped kind (decoded TOML) with ``override`` applied; see the module rules.
    Raises TemplateDefinitionError naming ``path`` and the field or section."""
    error = _Errors(path)
    _check_keys(override, KIND_KEYS, error, None)
    if override.get("kind", shipped["kind"]) != shipped["kind"]:
        raise error(f"this file overrides {shipped['kind']!r} (its name); kind says "
                    f"{override['kind']!r}", "kind")
    merged = copy.deepcopy(dict(shipped))
    if "version" in override:
        version = override["version"]
        if type(version) is not int or version < 1:
            raise error("version is a positive integer (bump it when you change the file)",
                        "version")
        merged["company_version"] = version
    for key in ("title", "row_label"):
        if key in override:
            merged[key] = merge_texts(shipped.get(key, {}), override[key], error, key)
    key_fields = {name for alternative in shipped.get("keys", []) for name in alternative}
    fixed_fields = ({f["name"] for f in shipped.get("fields", [])}
                    if shipped.get("single") or shipped.get("two_way") else set())
    merged["fields"] = _merge_list(
        shipped.get("fields", []), override.get("fields", []), "name", error,
        lambda old, change: _update_field(old, change, key_fields, error),
        lambda change: _new_field(change, bool(shipped.get("single")), error),
        lambda old: _check_field_removal(old["name"], key_fields, fixed_fields, error),
        FIELD_KEYS)
    merged["sections"] = _merge_list(
        shipped.get("sections", []), override.get("sections", []), "id", error,
        lambda old, change: _update_section(old, change, error),
        lambda change: _new_section(change, error),
        lambda old: _check_section_removal(old, error), SECTION_KEYS)
    return merged


def merge_texts(old: Mapping[str, str], new: Any, error: Callable[..., Exception],
                field: str) -> dict[str, str]:
    """``old`` with the languages of ``new`` (a table of language = text) replaced."""
    if not isinstance(new, Mapping) or not all(isinstance(v, str) for v in new.values()):
        raise error(f"{field} must be a table of language = \"text\"", field)
    for lang in new:
        check_lang(lang, error, field)
    return {**old, **new}


def check_lang(lang: str, error: Callable[..., Exception], field: str) -> None:
    if not LANG_CODE.match(lang):
        raise error(f"{lang!r} is not a language code (like fr, en, de, pt-br)", field)


def _check_keys(table: Mapping[str, Any], allowed: set[str],
                error: Callable[..., Exception], field: str | None) -> None:
    for key in table:
        if key in FIXED and key not in allowed:
            raise error(f"{key!r} cannot be overridden: {FIXED[key]}", field or key)
        if key not in allowed:
            raise error(f"unknown key {key!r} (expected one of: {', '.join(sorted(allowed))})",
                        field or key)


def _merge_list(items: list[dict[str, Any]], changes: Any, ident: str,
                error: _Errors, update: Callable[[dict[str, Any], dict[str, Any]], None],
                new: Callable[[dict[str, Any]], dict[str, Any]],
                check_removal: Callable[[dict[str, Any]], None],
                allowed: set[str]) -> list[dict[str, Any]]:
    """Fields (ident "name") or sections (ident "id"): matched, updated, added, removed,
    then moved after another, in the file's order."""
    what = "fields" if ident == "name" else "sections"
    if not isinstance(changes, list) or not all(isinstance(c, Mapping) for c in changes):
        raise error(f"{what} is a list of tables ([[{what}]])", what)
    by_id = {item[ident]: copy.deepcopy(item) for item in items}
    order = [item[ident] for item in items]
    seen: set[str] = set()
    moves: list[tuple[str, Any]] = []
    for change in changes:
        name = _entry_id(change, ident, seen, error)
        _check_keys(change, allowed, error, name)
        if _removes(change, ident, name, error):
            if name not in by_id:
                raise error(f"remove = true, but there is no such {what[:-1]}", name)
            check_removal(by_id[name])
            del by_id[name]
            order.remove(name)
            continue
        if name in by_id:
            update(by_id[name], dict(change))
        else:
            by_id[name] = new(dict(change))
            order.append(name)
        if "after" in change:
            moves.append((name, change["after"]))
    _move(order, moves, what[:-1], error)
    return [by_id[name] for name in order]


def _entry_id(change: Mapping[str, Any], ident: str, seen: set[str], error: _Errors) -> str:
    """The name or id of an entry, checked present and not seen before in the file."""
    what = "field" if ident == "name" else "section"
    name = change.get(ident)
    if not isinstance(name, str) or not name:
        raise error(f"every {what} needs {ident} = \"...\"", f"{what}s")
    if name in seen:
        raise error(f"duplicate {what} in this file", name)
    seen.add(name)
    return name


def _move(order: list[str], moves: list[tuple[str, Any]], what: str, error: _Errors) -> None:
    """Place each moved entry right after the one its ``after`` names, in file order."""
    for name, after in moves:
        if not isinstance(after, str) or after not in order or after == name:
            raise error(f"after = {after!r} names no other {what} of this kind", name)
        order.remove(name)
        order.insert(order.index(after) + 1, name)


def _removes(change: Mapping[str, Any], ident: str, name: str, error: _Errors) -> bool:
    remove = change.get("remove", False)
    if type(remove) is not bool:
        raise error("remove is true or false", name)
    if remove and set(change) - {ident, "remove"}:
        raise error("remove = true goes alone (nothing else to set on what is removed)", name)
    return remove


# --- fields ----------------------------------------------------------------------------------

def _update_field(old: dict[str, Any], change: dict[str, Any], key_fields: set[str],
                  error: _Errors) -> None:
    name = old["name"]
    if "type" in change and change["type"] != old.get("type", "text") and name in key_fields:
        raise error("the type of a key field cannot change (it identifies the rows)", name)
    if "label" in change:
        label = merge_texts(old.get("label", {}), change["label"], error, name)
        replaced = [text for lang, text in old.get("label", {}).items()
                    if label.get(lang) != text and text not in label.values()]
        old["aliases"] = list(dict.fromkeys([*old.get("aliases", []), *replaced]))
        old["label"] = label
    if "help" in change:
        old["help"] = merge_texts(old.get("help", {}), change["help"], error, name)
    if "choices" in change:
        old["choices"] = _merge_choices(old.get("choices", []), change["choices"], name,
                                        error)
    if "aliases" in change:
        old["aliases"] = list(dict.fromkeys([*old.get("aliases", []),
                                             *_strings(change["aliases"], name, error)]))
    for key in ("type", "required", "default"):
        if key in change:
            old[key] = _scalar(change[key], key, name, error)


def _new_field(change: dict[str, Any], single: bool, error: _Errors) -> dict[str, Any]:
    name = change["name"]
    if single and name in RESERVED_FIELDS:
        raise error(f"{name!r} is reserved on this kind", name)
    if "label" not in change:
        raise error("a new field needs a label (label.en = \"...\", label.fr = \"...\")", name)
    field: dict[str, Any] = {"name": name, "type": "text", "label": {}, "help": {}}
    _update_field(field, {k: v for k, v in change.items() if k != "after"}, set(), error)
    return field


def _check_field_removal(name: str, key_fields: set[str], fixed: set[str],
                         error: _Errors) -> None:
    if name in key_fields:
        raise error("a key field cannot be removed: it identifies the rows", name)
    if name in fixed:
        raise error("cop-connector fills this field itself (community records, member "
                    "commands): it cannot be removed; rename its label instead", name)


def _merge_choices(old: list[dict[str, Any]], new: Any, name: str,
                   error: _Errors) -> list[dict[str, Any]]:
    """Choices matched by value: labels merged per language, new values appended."""
    if not isinstance(new, list) or not all(
            isinstance(c, Mapping) and isinstance(c.get("value"), str) for c in new):
        raise error("choices is a list of { value = \"...\", en = \"...\", ... }", name)
    merged = {c["value"]: dict(c) for c in old}
    for choice in new:
        labels = {k: v for k, v in choice.items() if k != "value"}
        merged[choice["value"]] = {"value": choice["value"], **merge_texts(
            {k: v for k, v in merged.get(choice["value"], {}).items() if k != "value"},
            labels, error, name)}
    return list(merged.values())


def _strings(value: Any, name: str, error: _Errors) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise error("aliases is a list of strings (former labels)", name)
    return list(value)


_SCALARS = {"type": str, "required": bool, "default": str}


def _scalar(value: Any, key: str, name: str, error: _Errors) -> Any:
    if type(value) is not _SCALARS[key]:
        raise error(f"{key} must be a {_SCALARS[key].__name__}, not {value!r}", name)
    return value


# --- sections --------------------------------------------------------------------------------

def _update_section(old: dict[str, Any], change: dict[str, Any], error: _Errors) -> None:
    ident = old["id"]
    if "title" in change:
        old["title"] = merge_texts(old.get("title", {}), change["title"], error, ident)
    for key in ("paragraphs", "bullets"):
        if key in change:
            old[key] = {**old.get(key, {}), **_prose(change[key], key, ident, error)}


def _new_section(change: dict[str, Any], error: _Errors) -> dict[str, Any]:
    ident = change["id"]
    if not SECTION_ID.match(ident):
        raise error("a section id is lower-case letters, digits, '-' and '_'", ident)
    if not any(key in change for key in ("title", "paragraphs", "bullets")):
        raise error("a new section needs a title, paragraphs or bullets", ident)
    section: dict[str, Any] = {"id": ident}
    _update_section(section, change, error)
    return section


def _check_section_removal(old: Mapping[str, Any], error: _Errors) -> None:
    if old.get("rows"):
        raise error("the rows section cannot be removed (it holds the rows)", old["id"])


def _prose(value: Any, key: str, ident: str, error: _Errors) -> dict[str, list[str]]:
    if not isinstance(value, Mapping) or not all(
            isinstance(texts, list) and all(isinstance(t, str) for t in texts)
            for texts in value.values()):
        raise error(f"{key} must be a table of language = [\"text\", ...]", ident)
    for lang in value:
        check_lang(lang, error, ident)
    return {lang: list(texts) for lang, texts in value.items()}
