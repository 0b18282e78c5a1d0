"""Provisioning a community's space: the pure plan (plan.py, actions.py), the shell that
reads, plans and writes (run.py), template upgrades of existing pages (upgrade.py) and
`cop template extract` (extract.py).

May import: sync.engine, sync.community, sync.config, sync.records, sync.clock, connector,
page_templates.
"""
