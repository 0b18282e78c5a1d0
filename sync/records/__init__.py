"""The records: the local store of every community, row, merge base and run.

Owns the SQLite schema and its numbered migrations (schema.py), the `Records` store and its
transactions (store.py, with the sync state and the method's tables as mixins), the records as
frozen dataclasses (model.py) and `cop export` (export.py).

May import: sync.clock, connector.base, page_templates. Nothing else of sync.
"""
