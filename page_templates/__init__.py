"""Page templates: the page kinds of a community's space, as data (see kinds/*.toml)."""

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

__all__ = [
    "LANGUAGES", "PAGE_ORDER", "Choice", "FieldDef", "PageKind", "Section", "TemplateSet",
    "load_directory", "localize", "normalize_template_name", "shipped",
]
