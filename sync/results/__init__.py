"""Results: community health (health/), people's edits read from the wikis' history
(history.py), who is who (people.py), the reports in Markdown, JSON and HTML (report/), the
results and portfolio pages (publish.py) and `cop status` (status.py).

May import: sync.method and everything below it.
"""
