"""The commented starter cop.toml written by ``cop init``."""

from __future__ import annotations

from msgspec import Struct

from sync.config.loader import toml_string
from sync.records.engines import URL_SCHEMES


class StarterSettings(Struct, frozen=True):
    """Everything ``cop init`` can be told by flag (scriptable)."""

    records: str = "cop.db"  # a file, or a postgresql:// URL
    records_password_env: str = ""
    lang: str = "en"
    backend: str = "mediawiki"
    mediawiki_url: str = "http://127.0.0.1:8080/"
    mediawiki_user: str = ""
    mediawiki_password_env: str = "COP_MEDIAWIKI_PASSWORD"  # noqa: S105 - a name
    confluence_url: str = ""
    confluence_user: str = ""
    confluence_token_env: str = "COP_CONFLUENCE_TOKEN"  # noqa: S105 - a name
    confluence_deployment: str = "cloud"


def starter_text(s: StarterSettings) -> str:
    """A complete, commented cop.toml. Sections for unconfigured wikis are commented out."""
    mediawiki = _mediawiki(s) if s.mediawiki_url else "# [mediawiki]  (not configured)\n"
    confluence = _confluence(s) if s.confluence_url else _confluence_example()
    return f"""\
# cop-connector configuration, written by `cop init`.
# Relative paths are relative to this file. Secrets are never stored here: each wiki section
# names the environment variable that holds its password or token (or, with the optional
# `keyring` package, the system keyring is asked).

[records]
{_records(s)}
[defaults]
backend = {toml_string(s.backend)}   # mediawiki | confluence: where new communities live
lang = {toml_string(s.lang)}         # en | fr: language of new communities' pages

{mediawiki}
{confluence}
[sync]
# cop-sync re-reads this many seconds before its last watermark (harmless: reads are
# idempotent) so that edits saved while the previous run was reading are not missed.
overlap_seconds = 300
# A run gives up retrying (429, 503, maxlag, timeouts) once it has run this long.
budget_seconds = 600
lock_file = "cop-sync.lock"            # one run at a time (SQLite records; a PostgreSQL
                                       # database holds the lock itself); a second exits 3
report_file = "cop-sync-report.json"   # the last run's JSON report ("": only in the records)
log_file = ""                          # empty: log to standard error
# The wiki's login is kept between runs (cookies only, never the password, in a file of
# mode 600; session_file empty: cop-session.json beside the records), so a run with nothing
# to do sends one request. false: log in on every run.
keep_session = true
session_file = ""

# The method (`cop theme`, `cop community add`, `cop status`): how many communities run at
# once, the profiles a community mixes, and profiles added to the shipped vocabulary
# (marketing, R&D, sales, production, purchasing, quality, finance, IT, HR, legal,
# management, other; French names and common spellings are read too).
# [method]
# max_communities = 4                    # `cop community add` refuses past it (--force)
# required_profiles = ["marketing", "R&D", "sales"]   # a cross-functional community has them
# [method.profiles]                      # profile = its other spellings
# logistics = ["logistique", "supply chain"]

# The watch's sources: the RSS/Atom feeds members list on each Watch page, read by cop-sync
# (politely: conditional requests, a User-Agent naming cop-connector, at most this often).
# [sources]
# interval_minutes = 60                  # a source is asked at most this often
# timeout_seconds = 20                   # a slower source fails (reported on the Watch page)
# max_bytes = 5000000                    # a longer feed is cut off and reported
# max_sources = 50                       # sources asked per run (the others wait)
# budget_seconds = 120                   # time a run may spend on sources
# contact = "innovation@corp.example"    # for the feeds' owners, in the User-Agent

# What is new, sent out. Atom feeds: cop-sync writes <slug>.atom and all.atom into `dir`
# (from the records: no wiki request), for any web server to serve at `url`.
# [feeds]
# dir = "feeds"
# url = "https://intranet.corp.example/cop-feeds/"   # where that directory is served
# entries = 50                           # the newest rows each feed lists
# The e-mail digests (`cop digest --all --send`, weekly from cron): the company's SMTP server.
# [mail]
# host = "smtp.corp.example"
# port = 587                             # default: 25 (none), 587 (starttls), 465 (tls)
# security = "starttls"                  # none | starttls | tls (certificates always verified)
# user = "cop-bot"                       # empty: the server takes mail without a login
# password_env = "COP_MAIL_PASSWORD"     # the variable holding its password
# from = "Communities of practice <cop@corp.example>"
# ca_bundle = "/etc/ssl/certs/corp-ca.pem"   # a private certificate authority

# Community health (`cop health`, `cop status` alerts) and results pages (`cop report --publish`).
# [health]
# fading_weeks = 6                       # alert when nobody contributed for this many weeks
# history_days = 90                      # how far back the wiki's history is read at first
# portfolio_page = "Project:Communities of practice — results"   # MediaWiki roll-up page
# portfolio_space = ""                   # Confluence: its space (default: the first community's)
# [health.review_months]                 # a page not reviewed within its period is overdue
# regulation = 6
# competition = 12
# [health.users]                         # wiki user (or Confluence account id) = member e-mail
# "Julie Roux" = "julie.roux@corp.example"
"""


def _records(s: StarterSettings) -> str:
    if not s.records.startswith(URL_SCHEMES):
        return ("# SQLite database of the local records: communities, members, rows, sync "
                "state and history.\n"
                f"path = {toml_string(s.records)}\n")
    variable = (f"password_env = {toml_string(s.records_password_env)}\n"
                if s.records_password_env else
                '# password_env = "COP_RECORDS_PASSWORD"   # else PGPASSWORD or ~/.pgpass\n')
    return ("# The records in a PostgreSQL database (shared by several managers and hosts; the\n"
            "# cop-sync lock lives there too). Never a password here: libpq reads PGPASSWORD\n"
            "# or ~/.pgpass, or name the variable that holds it.\n"
            f"url = {toml_string(s.records)}\n{variable}")


def _mediawiki(s: StarterSettings) -> str:
    return f"""\
[mediawiki]
# The wiki's script path, where api.php lives (e.g. https://wiki.corp.example/w/).
url = {toml_string(s.mediawiki_url)}
# A bot password account (Special:BotPasswords), e.g. "CopBot@cop", with the grants
# "basic, highvolume, editpage, createeditmovepage" (and "protect" to archive). Empty: anonymous.
user = {toml_string(s.mediawiki_user)}
password_env = {toml_string(s.mediawiki_password_env)}
# First namespace number for communities; each community takes two (pages and talk).
namespace_base = 3000
timeout = 30
# ca_bundle = "/etc/ssl/certs/corp-ca.pem"   # extra CA for an internal certificate
# allow_http = false   # plain http:// is refused except to 127.0.0.1 / localhost
"""


def _confluence(s: StarterSettings) -> str:
    return f"""\
[confluence]
# Cloud: https://SITE.atlassian.net/wiki (a classic API token), or for a scoped API token
# https://api.atlassian.com/ex/confluence/CLOUD_ID/wiki   Data Center: https://HOST[/CONTEXT]
url = {toml_string(s.confluence_url)}
# Cloud: the account's e-mail (with an API token). Data Center: leave empty to use a
# personal access token (bearer).
user = {toml_string(s.confluence_user)}
token_env = {toml_string(s.confluence_token_env)}
deployment = {toml_string(s.confluence_deployment)}   # cloud | datacenter
timeout = 30

# With a scoped token (the API gateway's url), the site's own address, for the links in
# feeds and digests: site_url = "https://SITE.atlassian.net/wiki"

# Space permissions: pilot and expert administer, members edit. No Confluence API finds an
# account by e-mail, so map people here (Cloud: accountId; Data Center: user key).
# Unmapped people are named in a warning at each `cop provision`.
# [confluence.accounts]
# "claire.martin@corp.example" = "712020:3c9d7e2a-1b4f-4e6a-8d2c-0f1e2d3c4b5a"
"""


def _confluence_example() -> str:
    return """\
# [confluence]
# url = "https://SITE.atlassian.net/wiki"
# user = "innovation@corp.example"
# token_env = "COP_CONFLUENCE_TOKEN"
# deployment = "cloud"
# [confluence.accounts]          # e-mail = accountId (Cloud) / user key (Data Center)
"""
