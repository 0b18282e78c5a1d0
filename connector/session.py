"""What a wiki adapter keeps between runs, so that a cron run does not log in every time.

A MediaWiki login costs two requests, on every run: a sync with nothing to do would send
three where one (the change feed) is enough. The adapters keep their session (MediaWiki:
the session cookies; Confluence: its own account id) in one JSON file, by wiki and user:

* readable by its owner only (written with mode 600, atomically: a crash never leaves half
  a file), never holding a password or a token (only what the wiki handed back);
* a stale session is harmless: the wiki refuses it, the adapter logs in again and saves
  the new one (connector/mediawiki/api.py);
* a file that cannot be read or written is only logged: the run logs in as it always did.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Mapping
from http.cookiejar import Cookie, CookieJar
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FILE_MODE = 0o600


class SessionStore:
    """The sessions file: ``{key: state}``, ``key`` naming the wiki and the user."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @staticmethod
    def key(backend: str, url: str, user: str) -> str:
        """A session belongs to one wiki and one account: another user or URL in the
        configuration starts a new one."""
        return f"{backend} {url} {user}"

    def load(self, key: str) -> dict[str, Any]:
        """The state saved under ``key``; empty when there is none or it cannot be read."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            log.warning("the saved sessions in %s cannot be read (%s): logging in anew",
                        self.path, error)
            return {}
        state = data.get(key) if isinstance(data, dict) else None
        return dict(state) if isinstance(state, dict) else {}

    def save(self, key: str, state: Mapping[str, Any] | None) -> None:
        """Keep ``state`` under ``key`` (None forgets it), the file rewritten whole with
        mode 600. A failure is logged, never raised: the next run logs in again."""
        try:
            data = self._all()
            if state is None:
                data.pop(key, None)
            else:
                data[key] = dict(state)
            self._write(data)
        except OSError as error:
            log.warning("the session cannot be kept in %s (%s): the next run logs in again",
                        self.path, error)

    def _all(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: Mapping[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".cop-session-", dir=self.path.parent)
        try:
            os.fchmod(fd, FILE_MODE)  # mkstemp makes it 600 already; say so
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=1, sort_keys=True)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def cookies_state(jar: CookieJar) -> list[dict[str, Any]]:
    """The cookies of ``jar`` as plain data (what a session is, to the wiki)."""
    return [{"name": c.name, "value": c.value, "domain": c.domain, "path": c.path,
             "secure": c.secure, "expires": c.expires} for c in jar]


def restore_cookies(jar: CookieJar, saved: Any) -> int:
    """Put ``saved`` cookies (from ``cookies_state``) back into ``jar``; expired and
    malformed entries are left out. Returns how many were restored."""
    restored = 0
    for entry in saved if isinstance(saved, list) else []:
        try:
            cookie = _cookie(entry)
        except (KeyError, TypeError, ValueError):
            continue
        if not cookie.is_expired():
            jar.set_cookie(cookie)
            restored += 1
    return restored


def _cookie(entry: Mapping[str, Any]) -> Cookie:
    domain = str(entry["domain"])
    expires = entry.get("expires")
    return Cookie(
        version=0, name=str(entry["name"]), value=str(entry["value"]), port=None,
        port_specified=False, domain=domain, domain_specified=bool(domain),
        domain_initial_dot=domain.startswith("."), path=str(entry.get("path") or "/"),
        path_specified=True, secure=bool(entry.get("secure")),
        expires=int(expires) if expires is not None else None, discard=expires is None,
        comment=None, comment_url=None, rest={"HttpOnly": ""}, rfc2109=False)
