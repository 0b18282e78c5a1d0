"""The relay: what reaches a community, and leaves it, without anyone pushing it.

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
sync.provision, sync.engine, sync.community, sync.config, sync.records, sync.clock,
connector and page_templates. Never click: sync/cli calls it and prints.
"""
