"""cop.toml: loading and validation (loader.py), its [health] and [method] sections, the
starter file `cop init` writes, and the wiki adapters the configuration names (backends.py).

May import: sync.records, sync.clock, connector, page_templates.
"""
