"""The sync engine: which pages changed (changes.py, pure), reading a page's rows
(page_rows.py) and the three-way plan (merge.py, charter_plan.py: pure), the shell that pulls
and pushes one page (pull.py) and runs a whole `cop-sync` (run.py), deletions and empty-side
guards, conflicts, the run's outcome, the lock, crash checkpoints, and `cop member add/remove`
(members.py), which writes the Members page through the same path.

May import: sync.records, sync.clock, connector, page_templates.
"""
