"""Page templates: the page kinds of a community's space, as data (see kinds/*.toml).

``shipped()`` is the set shipped with cop-connector; ``load_templates(dir)`` the effective
set with a company's override directory applied (see overrides.py); ``template_version``
the version a page made from a kind carries (see versions.py).

The names below are imported on first use (PEP 562): the product's error classes live in
``page_templates.errors``, and importing them (as every command does) should not load and
build the page kinds too.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .loader import PAGE_ORDER, load_directory, shipped
    from .model import (
        LANGUAGES,
        Choice,
        FieldDef,
        PageKind,
        Section,
        TemplateSet,
        localize,
        normalize_template_name,
    )
    from .overrides import load_templates
    from .versions import template_version

_MODULES = {
    "PAGE_ORDER": "loader", "load_directory": "loader", "shipped": "loader",
    "LANGUAGES": "model", "Choice": "model", "FieldDef": "model", "PageKind": "model",
    "Section": "model", "TemplateSet": "model", "localize": "model",
    "normalize_template_name": "model", "load_templates": "overrides",
    "template_version": "versions",
}

__all__ = [
    "LANGUAGES", "PAGE_ORDER", "Choice", "FieldDef", "PageKind", "Section", "TemplateSet",
    "load_directory", "load_templates", "localize", "normalize_template_name", "shipped",
    "template_version",
]


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
    globals()[name] = value  # once: later uses find it as a plain attribute
    return value
