"""What the records say: `cop status`, `cop health`, `cop report`, `cop export`,
`cop digest`.

Each module is one command, imported only when it runs (sync/cli/commands.py)."""
