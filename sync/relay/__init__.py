"""The relay: what reaches a community, and leaves it, without anyone pushing it.

In: the watch's sources. Members list feeds (RSS 0.9x/1.0/2.0, Atom) on their Watch page
(``{{CoP source|url=|name=|tags=}}`` rows, a Sources table on Confluence); cop-sync reads the
ones that are due, politely, and proposes their new entries as watch rows under the page's
"To review" section, in one edit per page and run:

    sources.py     (pure) which sources are due, which entries are new, a failure's problem
    feeds.py       a feed's bytes read into plain-text entries (feedparser, BeautifulSoup)
    fetch.py       the HTTP shell: one conditional, timed, size-capped request per source
    propose.py     (pure) the watch row an entry becomes; what a page gets, what it has
    run.py         a run: fetch what is due, write each Watch page once, record it all
    edit.py        `cop source add|remove`: a source's row written on the Watch page

The sources' state is in the records (sync/records/relay_state.py): ``source_states``
(each source's HTTP validators, last check, failure) and ``source_entries`` (every entry a
source brought, ``proposed`` on the page, found ``on-page`` already, or ``passed`` over, by
source and entry id, with its link: none is ever proposed twice, so one a member deleted
never comes back). A failing source is also a row problem of the Watch page's ``source``
rows (field ``(feed)``, code and parameters in page_templates/problems.toml).

Out: what is new on the communities' pages, from the records alone (no wiki request):

    news.py        (pure) the rows new or changed in a window, as items: title, link,
                   summary, page, who added it when the wiki's history tells, when
    collect.py     the same, read from the records for a community and a window
    links.py       (pure) the address members open a page at, from cop.toml and the records
    atom.py        (pure) an Atom feed (RFC 4287) of items, with stable entry ids
    feed_files.py  writes <slug>.atom and all.atom into [feeds] dir, only when they change
    digest.py      (pure) who gets a digest, of what, and its text and HTML
    mail.py        (pure) a digest as an e-mail (multipart/alternative)
    smtp.py        the SMTP shell: TLS verified, one message a recipient, errors named
    digests.py     a `cop digest` run: plan, preview, .eml files or send, marks committed
                   after each accepted message

What was sent to whom, up to when, is in the records (sync/records/news_state.py).

May import: sync.results (the wikis' history: who added a row), sync.method,
sync.provision, sync.engine (its PageSync records the rows the relay writes),
sync.community, sync.config, sync.records, sync.clock, connector and page_templates.
Never click: sync/cli calls it and prints.
"""
