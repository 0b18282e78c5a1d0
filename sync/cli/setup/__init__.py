"""Setting up and checking an installation: `cop init`, `cop doctor`, `cop mediawiki`,
`cop records`.

Each module is one command, imported only when it runs (sync/cli/commands.py)."""
