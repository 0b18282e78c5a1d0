"""The life of the communities, for the innovation manager: themes, communities, members,
seminars, the watch's sources, provisioning, field conflicts, company templates and
archives.

Each module is one command, imported only when it runs (sync/cli/commands.py)."""
