"""The records database schema, as numbered migrations (SQLite's PRAGMA user_version; the
``schema_version`` table on PostgreSQL).

Rows of every kind live in one ``entries`` table (data as JSON, so company templates can add
fields without a migration); one view per kind gives them columns for people and tools
(``SELECT * FROM watch_items``). A migration is appended, never edited once released.

One migration serves both engines: write it in the SQL SQLite and PostgreSQL share, which
sync/records/postgres.py reads as PostgreSQL needs. The rules, checked by running every
migration on both engines in the tests (tests/integration/test_records_engines.py):

* types in capitals: ``TEXT`` (compared byte by byte on both: keys, e-mails, URLs sort as
  the code's rules say, never by a database locale), ``INTEGER`` (0/1 for flags: SQLite has
  no booleans), ``INTEGER PRIMARY KEY`` for an id the database assigns;
* times as ISO 8601 UTC text (sync/clock.py), JSON as TEXT checked with ``json_valid`` and
  read in views with ``json_extract(column, '$.field')`` (PostgreSQL gets both functions);
* upserts as ``INSERT ... ON CONFLICT (...) DO UPDATE/NOTHING``, never ``INSERT OR ...``;
  no ``rowid`` (order by a column), no PRAGMA, no AUTOINCREMENT, no SQLite-only function.

The full list, with views and rebuilt tables, is in docs/design.md (*Schema migrations*);
tests/unit/test_migrations_portable.py checks them without a server.
"""

from __future__ import annotations


def _view(name: str, kind: str, fields: tuple[str, ...]) -> str:
    columns = ",\n  ".join(f"json_extract(data, '$.{f}') AS \"{f}\"" for f in fields)
    return (f"CREATE VIEW {name} AS SELECT community, key,\n  {columns},\n"
            f"  first_seen, updated_at, deleted_at FROM entries WHERE kind = '{kind}';")


_VIEWS = "\n".join([
    _view("members", "members", ("email", "name", "profile", "role", "site", "since")),
    _view("watch_items", "watch", ("date", "title", "url", "source", "summary", "tags")),
    _view("technical_references", "references",
          ("ref", "title", "version", "url", "owner", "summary")),
    _view("regulations", "regulation",
          ("ref", "title", "jurisdiction", "status", "effective", "url", "impact")),
    _view("competitor_entries", "competition",
          ("competitor", "offer", "positioning", "strengths", "weaknesses", "updated", "url")),
])

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE communities (
        slug TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        theme TEXT NOT NULL DEFAULT '',
        axes TEXT NOT NULL DEFAULT '',
        objectives TEXT NOT NULL DEFAULT '',
        scope TEXT NOT NULL DEFAULT '',
        pilot TEXT NOT NULL,
        expert TEXT NOT NULL,
        sponsor TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'active',
        account TEXT NOT NULL DEFAULT '',
        backend TEXT NOT NULL,
        lang TEXT NOT NULL,
        space TEXT NOT NULL UNIQUE,
        namespace_id INTEGER UNIQUE,
        space_id TEXT,
        watermark TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE entries (
        community TEXT NOT NULL REFERENCES communities(slug) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        data TEXT NOT NULL CHECK (json_valid(data)),
        origin TEXT NOT NULL DEFAULT 'wiki',
        first_seen TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        deleted_at TEXT,
        deleted_by TEXT,
        PRIMARY KEY (community, kind, key)
    );
    CREATE TABLE pages (
        community TEXT NOT NULL,
        kind TEXT NOT NULL,
        space TEXT NOT NULL,
        title TEXT NOT NULL,
        page_id TEXT NOT NULL DEFAULT '',
        revision TEXT NOT NULL DEFAULT '',
        written_hash TEXT NOT NULL DEFAULT '',
        base TEXT CHECK (base IS NULL OR json_valid(base)),
        state TEXT NOT NULL DEFAULT 'ok',
        synced_at TEXT NOT NULL DEFAULT '',
        template_version INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (community, kind)
    );
    CREATE TABLE sync_runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        exit_code INTEGER,
        dry_run INTEGER NOT NULL DEFAULT 0,
        summary TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE row_errors (
        id INTEGER PRIMARY KEY,
        community TEXT NOT NULL,
        kind TEXT NOT NULL,
        page TEXT NOT NULL,
        row INTEGER NOT NULL,
        line INTEGER,
        field TEXT NOT NULL,
        message TEXT NOT NULL,
        key TEXT,
        detected_at TEXT NOT NULL
    );
    CREATE INDEX row_errors_page ON row_errors (community, kind);
    CREATE TABLE conflicts (
        id INTEGER PRIMARY KEY,
        community TEXT NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        field TEXT NOT NULL,
        base TEXT,
        wiki TEXT,
        local TEXT,
        detected_at TEXT NOT NULL,
        resolved_at TEXT,
        resolution TEXT
    );
    CREATE UNIQUE INDEX conflicts_open ON conflicts (community, kind, key, field)
        WHERE resolved_at IS NULL;
    CREATE TABLE drift (
        community TEXT NOT NULL,
        page TEXT NOT NULL,
        field TEXT NOT NULL,
        wiki TEXT,
        records TEXT,
        detected_at TEXT NOT NULL,
        PRIMARY KEY (community, page, field)
    );
    """ + _VIEWS,
    # 2: results (issue 7): people's edits read from the wikis' history, how far each
    # community's history was read, and the results pages cop-connector publishes
    """
    CREATE TABLE contributions (
        community TEXT NOT NULL REFERENCES communities(slug) ON DELETE CASCADE,
        kind TEXT NOT NULL DEFAULT '',
        page TEXT NOT NULL,
        wiki_user TEXT NOT NULL,
        display_name TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL,
        revision TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (community, page, wiki_user, at)
    );
    CREATE INDEX contributions_time ON contributions (community, at);
    CREATE TABLE history_marks (
        community TEXT PRIMARY KEY REFERENCES communities(slug) ON DELETE CASCADE,
        read_until TEXT NOT NULL
    );
    CREATE TABLE published_pages (
        backend TEXT NOT NULL,
        target TEXT NOT NULL,
        space TEXT NOT NULL,
        title TEXT NOT NULL,
        page_id TEXT NOT NULL DEFAULT '',
        revision TEXT NOT NULL DEFAULT '',
        written_hash TEXT NOT NULL DEFAULT '',
        published_at TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (backend, target)
    );
    """,
    # 3: the method (issue 6): themes and the decisions taken on them, the pilot community
    # and each community's theme, lifecycle changes, seminars and their workshops, and views
    # of the rows placed on seminar pages (entries of kind "attendance@<year>",
    # "actions@<year>")
    """
    ALTER TABLE communities ADD COLUMN is_pilot INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE communities ADD COLUMN theme_slug TEXT;
    CREATE TABLE themes (
        slug TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        axis TEXT NOT NULL,
        portfolio TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'proposed'
            CHECK (status IN ('proposed', 'approved', 'rejected')),
        created_at TEXT NOT NULL,
        decided_at TEXT,
        decided_by TEXT,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        subject TEXT NOT NULL CHECK (subject IN ('theme', 'community')),
        slug TEXT NOT NULL,
        previous TEXT NOT NULL DEFAULT '',
        decision TEXT NOT NULL,
        decided_by TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL
    );
    CREATE INDEX decisions_subject ON decisions (subject, slug, id);
    CREATE TABLE seminars (
        year INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        start TEXT NOT NULL,
        days INTEGER NOT NULL CHECK (days IN (2, 3)),
        place TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE workshops (
        year INTEGER NOT NULL REFERENCES seminars(year) ON DELETE CASCADE,
        community TEXT NOT NULL REFERENCES communities(slug) ON DELETE CASCADE,
        title TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (year, community, title)
    );
    CREATE VIEW attendance AS SELECT community,
      CAST(substr(kind, 12) AS INTEGER) AS seminar, key,
      json_extract(data, '$.email') AS "email", json_extract(data, '$.name') AS "name",
      json_extract(data, '$.hours') AS "hours", json_extract(data, '$.workshop') AS "workshop",
      first_seen, updated_at, deleted_at FROM entries WHERE kind LIKE 'attendance@%';
    CREATE VIEW seminar_actions AS SELECT community,
      CAST(substr(kind, 9) AS INTEGER) AS seminar, key,
      json_extract(data, '$.action') AS "action", json_extract(data, '$.owner') AS "owner",
      json_extract(data, '$.due') AS "due", json_extract(data, '$.status') AS "status",
      first_seen, updated_at, deleted_at FROM entries WHERE kind LIKE 'actions@%';
    """,
    # 4: row problems said in any language (code and parameters, for the notice on the page)
    # and their severity ("warning": recorded all the same; cop-sync does not exit 1 for it)
    """
    ALTER TABLE row_errors ADD COLUMN code TEXT NOT NULL DEFAULT 'unreadable';
    ALTER TABLE row_errors ADD COLUMN params TEXT NOT NULL DEFAULT '{}'
        CHECK (json_valid(params));
    ALTER TABLE row_errors ADD COLUMN severity TEXT NOT NULL DEFAULT 'error'
        CHECK (severity IN ('error', 'warning'));
    """,
    # 5: what is new, sent out (issue 15): rows by time (the feeds and digests ask for the
    # newest ones), each recipient's digest point per community (what was sent, up to when),
    # every digest accepted by the mail server, and the members' view with their digest field
    """
    CREATE INDEX entries_recent ON entries (community, updated_at, kind, key);
    CREATE TABLE digest_marks (
        email TEXT NOT NULL,
        community TEXT NOT NULL REFERENCES communities(slug) ON DELETE CASCADE,
        sent_until TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        message_id TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (email, community)
    );
    CREATE TABLE digests_sent (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        message_id TEXT NOT NULL,
        communities TEXT NOT NULL CHECK (json_valid(communities)),
        items INTEGER NOT NULL
    );
    CREATE INDEX digests_sent_email ON digests_sent (email, sent_at);
    DROP VIEW members;
    """ + _view("members", "members",
                ("email", "name", "profile", "role", "site", "since", "digest")),
    # 6: pages carry no markers (issue 11): what cop-connector last wrote in each managed
    # region of a page (its merge base, JSON: region id -> text), NULL when not known
    """
    ALTER TABLE pages ADD COLUMN regions TEXT CHECK (regions IS NULL OR json_valid(regions));
    """,
    # 7: themes keep the order they were proposed in, on every engine (SQLite's hidden rowid
    # gave it; PostgreSQL keeps no order of insertion); the themes already recorded are
    # numbered by date, then slug
    """
    ALTER TABLE themes ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
    UPDATE themes SET position = (SELECT count(*) FROM themes AS earlier
        WHERE earlier.created_at < themes.created_at
           OR (earlier.created_at = themes.created_at AND earlier.slug <= themes.slug));
    """,
    # 8: the ideas funnel (issue 16): each status change of a row as the sync (or a command)
    # saw it, so the results can tell how long subjects stay at each stage; when a page was
    # first recorded (a community is not "idle" for the time before its Ideas page existed;
    # '' for pages recorded before this column); a view of the Ideas page's subjects
    """
    CREATE TABLE status_changes (
        id INTEGER PRIMARY KEY,
        community TEXT NOT NULL REFERENCES communities(slug) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        previous TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL,
        at TEXT NOT NULL,
        by TEXT NOT NULL DEFAULT 'wiki'
    );
    CREATE INDEX status_changes_row ON status_changes (community, kind, key, id);
    ALTER TABLE pages ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
    """ + _view("ideas", "ideas", ("title", "need", "capability", "links", "tags", "owner",
                                   "origin", "status", "reason", "project")),
    # 9: the watch's sources (issue 15): each source's HTTP state (the validators of its
    # conditional requests, its last check, its failure if it fails) and every entry a
    # source brought, proposed on the Watch page or not, so that none is proposed twice
    """
    CREATE TABLE source_states (
        community TEXT NOT NULL REFERENCES communities(slug) ON DELETE CASCADE,
        url TEXT NOT NULL,
        etag TEXT NOT NULL DEFAULT '',
        last_modified TEXT NOT NULL DEFAULT '',
        checked_at TEXT NOT NULL DEFAULT '',
        ok_at TEXT NOT NULL DEFAULT '',
        failures INTEGER NOT NULL DEFAULT 0,
        failing_since TEXT NOT NULL DEFAULT '',
        error_code TEXT NOT NULL DEFAULT '',
        error_params TEXT NOT NULL DEFAULT '{}',
        error TEXT NOT NULL DEFAULT '',
        row INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (community, url)
    );
    CREATE TABLE source_entries (
        community TEXT NOT NULL REFERENCES communities(slug) ON DELETE CASCADE,
        source TEXT NOT NULL,
        entry_id TEXT NOT NULL,
        link TEXT NOT NULL DEFAULT '',
        title TEXT NOT NULL DEFAULT '',
        row_key TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN ('proposed', 'on-page', 'passed')),
        seen_at TEXT NOT NULL,
        PRIMARY KEY (community, source, entry_id)
    );
    CREATE INDEX source_entries_link ON source_entries (community, link);
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
