"""Make member text inert in wikitext: every value written to a page goes through here.

Modelled on MediaWiki's own ``wfEscapeWikiText``: characters and sequences that could start
markup become numeric character references. MediaWiki's preprocessor and parser never treat a
character reference as markup, yet the page *displays* the original character, and
mwparserfromhell decodes the references back (``HTMLEntity.normalize``), so
``escape -> page -> parse`` gives back the exact value.

Additions to ``wfEscapeWikiText``:

* ``~`` -- the pre-save transform expands ``~~~``/``~~~~`` (signatures) before anything else;
* ``!`` at line start -- a header cell when the value lands in a table cell (the charter box);
* leading and trailing white space -- MediaWiki trims named template parameters, so white
  space at either end is written as references to survive (cleaned values have none);
* ``\\r`` -- MediaWiki folds line endings on save;
* NUL becomes U+FFFD: no reference can stand for it, mwparserfromhell stops seeing the
  template around it, and MediaWiki's input normalization replaces it (and the other C0
  controls) by U+FFFD anyway. Values are cleaned of control characters before, so this is
  only a guard.
"""

from __future__ import annotations

import re

# Characters that are markup anywhere in a template parameter (wfEscapeWikiText's set, plus
# "~" for signatures).
_ANYWHERE = "\"&'<=>[]{|};~"
# Characters that are markup at the start of a line: lists, definitions, pre-formatted text
# (space, tab), table header cells (only inside tables, but cheap to escape).
_LINE_START = "#*: \t!"
# Protocols free-linked without "//" ($wgUrlProtocols entries ending in ":", MediaWiki 1.39).
_COLON_PROTOCOLS = ("bitcoin", "geo", "magnet", "mailto", "matrix", "news", "sip", "sips",
                    "sms", "tel", "urn", "xmpp")
# Magic links (ISBN, RFC, PMID) only need white space after the word; disabled by default
# since MediaWiki 1.28 but a company may enable them.
_MAGIC_WORDS = ("ISBN", "RFC", "PMID")

_TEXT_PATTERN = re.compile(
    r"(?P<rule>(?m:^)-(?=---))"  # horizontal rule: escape the first dash
    rf"|(?P<start>(?m:^)[{re.escape(_LINE_START)}])"
    r"|(?P<under>__)"  # behaviour switches (__NOTOC__, __INDEX__, ...)
    r"|(?P<slashes>://)"  # free external links
    rf"|(?P<magic>\b(?:{'|'.join(_MAGIC_WORDS)})\s)"
    rf"|(?P<proto>(?i:\b(?:{'|'.join(_COLON_PROTOCOLS)})):)"
    rf"|(?P<char>[{re.escape(_ANYWHERE)}\r])"
)

# In a URL the scheme's "://" must stay literal (it makes the link) and there are no line
# starts nor white space; everything else that could be markup is a reference. MediaWiki's
# Sanitizer::cleanUrl decodes character references in an external link's target, so the link
# it makes is the original URL (checked on a real wiki by
# tests/integration/test_wikitext_on_mediawiki.py).
_URL_PATTERN = re.compile(
    r"(?P<under>__)"
    r"|(?P<slashes>://)"
    rf"|(?P<char>[{re.escape(_ANYWHERE)}\s])"
)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def entity(char: str) -> str:
    """The numeric character reference of one character (``|`` -> ``&#124;``)."""
    return f"&#{ord(char)};"


def _replace(match: re.Match[str]) -> str:
    group = match.lastgroup
    text = match.group()
    if group == "under":
        return "_&#95;"
    if group == "slashes":
        return "&#58;//"
    if group in ("magic", "proto"):
        return text[:-1] + entity(text[-1])
    return entity(text)  # rule, start, char: a single character


def escape_text(value: str) -> str:
    """``value`` as inert wikitext that displays (and parses back to) exactly ``value``.

    Line breaks are kept as line breaks (long text fields); what would be markup at a line
    start is escaped after each of them. Never raises.
    """
    value = value.replace("\x00", "\ufffd")
    start = len(value) - len(value.lstrip())
    end = len(value.rstrip())
    if start >= end:  # white space only
        return "".join(entity(char) for char in value)
    # Edge white space as references (MediaWiki would trim it). The core's first character is
    # then escaped as a line start even when it is not one: harmless, and simpler.
    leading = "".join(entity(char) for char in value[:start])
    trailing = "".join(entity(char) for char in value[end:])
    return leading + _TEXT_PATTERN.sub(_replace, value[start:end]) + trailing


def escape_url(url: str) -> str:
    """A URL (already validated: http/https, no spaces, quotes, brackets, braces or pipes)
    as wikitext that MediaWiki turns into a link to exactly ``url`` with ``[url label]``.

    The leading ``scheme://`` stays literal; every other character that could be markup
    (``" & ' < = > [ ] { | } ; ~``, white space, ``__``, a further ``://``) becomes a
    reference. ``:``, ``#``, ``*``, ``!`` stay: no line starts inside a URL. Never raises,
    even on an invalid URL (which then simply makes no link).
    """
    scheme = _SCHEME.match(url)
    head = scheme.group() if scheme else ""
    url = url.replace("\x00", "\ufffd")
    return head + _URL_PATTERN.sub(_replace, url[len(head):])


# Company prose (page templates) is trusted text, not member data, and people read it in the
# source editor: escape only sequences that would really become markup in running text, so
# "l'équipe" and "R&D" stay as typed. Member values never go through this.
_PROSE_PATTERN = re.compile(
    r"(?P<rule>(?m:^)-(?=---))"
    rf"|(?P<start>(?m:^)[{re.escape(_LINE_START + ';=')}])"
    r"|(?P<under>__)"
    r"|(?P<slashes>://)"
    rf"|(?P<magic>\b(?:{'|'.join(_MAGIC_WORDS)})\s)"
    r"|(?P<quotes>'(?='))"  # '' and ''' (italic, bold): escape the first quote
    r"|(?P<tilde>~(?=~~))"  # ~~~ signatures
    r"|(?P<amp>&(?=#?\w+;))"  # only an & that would start a character reference
    r"|(?P<char>[<>\[\]{}|])"
)


def escape_prose(text: str) -> str:
    """Trusted prose as wikitext that displays exactly ``text``, escaping no more than
    needed (see _PROSE_PATTERN). Never raises."""
    return _PROSE_PATTERN.sub(_replace, text.replace("\x00", "\ufffd"))
