"""The product above the wiki adapters: the records, the sync engine, provisioning, the
method, the results, and the command line.

Layers, top to bottom (import-linter contracts in pyproject.toml enforce them; an import may only
go down):

    cli          the `cop` and `cop-sync` commands: the only place that prints or exits
    relay        the watch's sources read into the Watch pages; feeds and digests out
    results      health, history, reports and the pages that publish them; `cop status`
    doctor       (beside results) read-only checks of each wiki, with the fix for each
    method       themes, seminars, analytic accounts, archiving (the method, step by step)
    provision    plan and write a community's space; upgrades; template extraction
    engine       the sync: change feed, pull, pure merge, deletions, conflicts, lock
    community    (beside engine, independent of it) registration, lifecycle, where pages are
    config       cop.toml, its sections, and the wiki adapters it names
    records      the store (SQLite file or PostgreSQL database): schema, migrations, the
                 records as frozen Structs, the copy between databases
    clock        time as ISO 8601 strings
    progress     (beside clock) how long work reports progress and learns it should stop

All of them may use `connector` (the wikis) and `page_templates` (the page kinds).
"""
