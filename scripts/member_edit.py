#!/usr/bin/env python3
"""Edit a page of the local wiki the way a member does (for the quick start and demos).

    python3 scripts/member_edit.py WIKI_DIR "CoP_Battery:Watch" "{{CoP watch|...}}"

Logs in as the wiki's plain ``Member`` account (see WIKI_DIR/credentials.json) and appends
the given lines to the page, as someone typing in the source editor would; lines the page
already holds are not added again (so the quick start can be run again). Uses only the
standard library, like scripts/localwiki.py.
"""

from __future__ import annotations

import http.cookiejar
import json
import sys
import urllib.parse
import urllib.request
from pathlib import Path


def main(wiki_dir: str, title: str, *lines: str) -> None:
    directory = Path(wiki_dir)
    credentials = json.loads((directory / "credentials.json").read_text())
    url = json.loads((directory / "server.pid").read_text())["url"] + "api.php"
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def call(method: str, **params: str) -> dict:
        data = urllib.parse.urlencode({**params, "format": "json", "formatversion": "2"})
        if method == "GET":
            request = urllib.request.Request(f"{url}?{data}")
        else:
            request = urllib.request.Request(url, data=data.encode())
        with opener.open(request, timeout=30) as response:
            return json.loads(response.read())

    token = call("GET", action="query", meta="tokens", type="login")
    call("POST", action="login", lgname=credentials["member_user"],
         lgpassword=credentials["member_password"],
         lgtoken=token["query"]["tokens"]["logintoken"])
    page = call("GET", action="query", prop="revisions", titles=title, rvprop="content",
                rvslots="main")["query"]["pages"][0]
    current = page["revisions"][0]["slots"]["main"]["content"] if "revisions" in page else ""
    lines = tuple(line for line in lines if line not in current.splitlines())
    if not lines:
        print(f"{title} already holds these lines")
        return
    csrf = call("GET", action="query", meta="tokens")["query"]["tokens"]["csrftoken"]
    result = call("POST", action="edit", title=title, appendtext="\n" + "\n".join(lines),
                  summary="member edit (quick start)", token=csrf)
    if result.get("edit", {}).get("result") != "Success":
        sys.exit(f"edit failed: {result}")
    print(f"member edit saved on {title}")


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
