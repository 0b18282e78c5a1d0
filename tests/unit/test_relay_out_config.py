"""[feeds] and [mail] in cop.toml: defaults, the starter's commented examples, and every
wrong value named with its setting."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from connector.errors import ConfigError
from sync.config.loader import parse
from sync.config.starter import StarterSettings, starter_text

PATH = Path("/tmp/cop.toml")
WIKI = {"mediawiki": {"url": "https://wiki.corp.example/w/"}}


def load(**sections: object):
    return parse({**WIKI, **sections}, PATH)


def test_absent_sections_mean_no_feeds_and_no_mail() -> None:
    config = load()
    assert config.feeds is None and config.mail is None


def test_defaults() -> None:
    config = load(feeds={}, mail={"host": "smtp.corp.example", "from": "cop@corp.example"})
    assert (config.feeds.dir, config.feeds.url, config.feeds.entries) == ("feeds", "", 50)
    mail = config.mail
    assert (mail.port, mail.security, mail.user, mail.password_env, mail.timeout) == (
        587, "starttls", "", "COP_MAIL_PASSWORD", 30.0)
    assert mail.sender_address.addr_spec == "cop@corp.example"
    tls = load(mail={"host": "h", "from": "Cop <cop@corp.example>", "security": "tls"}).mail
    assert tls.port == 465 and tls.sender_address.display_name == "Cop"


def test_the_starters_commented_sections_work_once_uncommented() -> None:
    text = starter_text(StarterSettings())
    for section in ("feeds", "mail"):
        assert f"# [{section}]" in text
    start, end = text.index("# [feeds]"), text.index("# Community health")
    examples = re.sub(r"^# (\[|\w+ = )", r"\1", text[start:end], flags=re.M)
    config = parse(tomllib.loads(text[:start] + examples + text[end:]), PATH)
    assert config.feeds.url == "https://intranet.corp.example/cop-feeds/"
    assert config.mail.host == "smtp.corp.example" and config.mail.security == "starttls"


@pytest.mark.parametrize(("sections", "setting", "words"), [
    ({"feeds": {"dir": ""}}, "feeds.dir", "directory"),
    ({"feeds": {"url": "intranet/cop"}}, "feeds.url", "http(s) address"),
    ({"feeds": {"entries": 0}}, "feeds.entries", "from 1 to 1000"),
    ({"feeds": {"colour": "red"}}, "feeds.colour", "unknown setting"),
    ({"mail": {"from": "cop@corp.example"}}, "mail.host", "is required"),
    ({"mail": {"host": "h"}}, "mail.from", "is required"),
    ({"mail": {"host": "h", "from": "not an address"}}, "mail.from", "one e-mail address"),
    ({"mail": {"host": "h", "from": "a@x.example, b@x.example"}}, "mail.from",
     "one e-mail address"),
    ({"mail": {"host": "h", "from": "a@x.example", "security": "ssl"}}, "mail.security",
     "none, starttls, tls"),
    ({"mail": {"host": "h", "from": "a@x.example", "port": 70000}}, "mail.port", "port"),
    ({"mail": {"host": "h", "from": "a@x.example", "timeout": 0}}, "mail.timeout",
     "positive"),
    ({"mail": {"host": "smtp.corp.example", "from": "a@x.example", "security": "none",
               "user": "bot"}}, "mail.security", "password in clear"),
])
def test_wrong_values_name_their_setting(sections: dict, setting: str, words: str) -> None:
    with pytest.raises(ConfigError) as error:
        load(**sections)
    assert f"[{setting}]" in str(error.value) and words in str(error.value)


def test_a_login_without_tls_is_fine_on_this_machine() -> None:
    mail = load(mail={"host": "127.0.0.1", "from": "a@x.example", "security": "none",
                      "user": "bot"}).mail
    assert mail.user == "bot"
