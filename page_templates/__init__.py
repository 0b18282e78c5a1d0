"""Page templates: the page kinds of a community's space, as data (see kinds/*.toml).

``shipped()`` is the set shipped with cop-connector; ``load_templates(dir)`` the effective
set with a company's override directory applied (see overrides.py); ``template_version``
the version a page made from a kind carries (see versions.py).
"""

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

__all__ = [
    "LANGUAGES", "PAGE_ORDER", "Choice", "FieldDef", "PageKind", "Section", "TemplateSet",
    "load_directory", "load_templates", "localize", "normalize_template_name", "shipped",
    "template_version",
]
