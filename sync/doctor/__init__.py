"""`cop doctor`: read-only checks of everything a first provisioning and the cron job need,
each with the exact fix.

What the records expect of each wiki (namespaces and their numbers, the last sync, the row
templates at their version) is gathered here and handed to the wiki's adapter, which checks
its own wiki (``diagnose``: connector/diagnosis.py); the local files the cron job writes are
checked here. Nothing is written anywhere.

Sits beside ``results`` in the layers: it may import provision (the row templates' plan) and
everything below; only the CLI imports it.
"""
