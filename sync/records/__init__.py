"""The records: the store of every community, row, merge base and run.

Owns the schema and its numbered migrations, written once for both engines (schema.py), the
`Records` store and its transactions (store.py, with the sync state and the method's tables
as mixins) over an SQLite file (sqlite_engine.py) or a PostgreSQL database (postgres.py, the
only module that imports psycopg, and only for a ``postgresql://`` URL; engines.py says what
differs), the records as frozen Structs (model.py), `cop export` (export.py) and the copy
from one database to another (copy.py).

May import: sync.clock, connector.base, connector.errors, page_templates. Nothing else of sync.
"""
