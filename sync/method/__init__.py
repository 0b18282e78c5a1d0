"""The method, step by step: themes and the decision makers' choice (themes.py), the
yearly seminar and its workshops (seminars.py), the analytic accounts (accounts.py), archiving
a community with its snapshot (archive.py, snapshot*.py), and what `cop status` says of the
rollout (status.py).

May import: sync.provision and everything below it.
"""
