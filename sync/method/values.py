"""Command-line values checked like the pages' text fields (one line, no control
characters), for the records the method's commands write (themes, seminars)."""

from __future__ import annotations

from connector.errors import ValidationError
from page_templates.values import clean_text


def clean(option: str, value: str | None, *, required: bool = False) -> str:
    """``value`` as one clean line; ValidationError naming ``option`` when required and
    empty."""
    cleaned = clean_text(value or "")
    if required and not cleaned:
        raise ValidationError("is required", field=option)
    return cleaned
