"""The relay: what reaches a community, and leaves it, without anyone pushing it.

In: the watch's sources. Members list feeds (RSS 0.9x/1.0/2.0, Atom) on their Watch page
(``{{CoP source|url=|name=|tags=}}`` rows, a Sources table on Confluence); cop-sync reads the
ones that are due, politely, and proposes their new entries as watch rows under the page's
"To review" section, in one edit per page and run:

    sources.py   (pure) which sources are due, which entries are new, a failure's problem
    feeds.py     a feed's bytes read into plain-text entries (feedparser, BeautifulSoup)
    fetch.py     the HTTP shell: one conditional, timed, size-capped request per source
    propose.py   (pure) the watch row an entry becomes; what a page gets, what it has already
    run.py       a run: fetch what is due, write each Watch page once, record it all

Out: Atom feeds of what is new (atom.py) and e-mail digests (digest.py, mail.py).

What the two sides share is in the records (sync/records/relay_state.py): ``source_states``
(each source's HTTP validators, last check, failure) and ``source_entries`` (every entry a
source brought, ``proposed`` on the page, found ``on-page`` already, or ``passed`` over, by
source and entry id, with its link: none is ever proposed twice, so one a member deleted
never comes back). A failing source is also a row problem of the Watch page's ``source``
rows (field ``(feed)``, code and parameters in page_templates/problems.toml).

May import: sync.results, sync.method, sync.provision, sync.engine (its PageSync records
the rows it writes), sync.community, sync.config, sync.records, sync.clock, connector and
page_templates. Never click: sync/cli calls it and prints.
"""
