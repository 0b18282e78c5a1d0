"""What `cop source add|remove` write on the Watch page (pure: sync/relay/edit.py)."""

from __future__ import annotations

import pytest

from connector.base import RowChange
from connector.errors import NotFoundError, ValidationError
from page_templates import shipped
from sync.relay.edit import plan_source_edit

SOURCE = shipped()["source"]
URL = "https://journal.example/toc.rss"
ON_PAGE = {URL: {"url": URL, "name": "Journal", "tags": "sodium"}}


def test_a_new_source_is_a_whole_row() -> None:
    key, action, change = plan_source_edit(SOURCE, {}, URL, {"name": "Journal", "tags": None})
    assert (key, action) == (URL, "added")
    assert change == RowChange("add", URL, {"url": URL, "name": "Journal", "tags": ""})


def test_options_left_out_keep_what_the_page_holds() -> None:
    assert plan_source_edit(SOURCE, ON_PAGE, URL, {"name": None, "tags": None}) == \
        (URL, "unchanged", None)
    _, action, change = plan_source_edit(SOURCE, ON_PAGE, URL, {"name": None,
                                                                "tags": "sodium, cells"})
    assert action == "updated" and change == RowChange("update", URL, {"tags": "sodium, cells"})


def test_a_source_is_found_by_its_address_as_rows_are_keyed() -> None:
    key, action, _ = plan_source_edit(SOURCE, ON_PAGE, "HTTPS://Journal.example/toc.rss", None)
    assert (key, action) == (URL, "removed")


@pytest.mark.parametrize(("url", "fields", "option"), [
    ("journal.example", {"name": "J"}, "URL"), (URL, {"name": None}, "--name")])
def test_bad_input_names_the_option(url: str, fields: dict, option: str) -> None:
    with pytest.raises(ValidationError) as raised:
        plan_source_edit(SOURCE, {}, url, fields)
    assert raised.value.field == option


def test_removing_a_source_not_listed_says_so() -> None:
    with pytest.raises(NotFoundError):
        plan_source_edit(SOURCE, ON_PAGE, "https://other.example/feed", None)
