"""The ideas funnel in the results: how many subjects each community has at each stage and
how long they stay there, what was launched and what waits for the portfolio (compute.py),
and where market pull meets techno push, across communities too (matching.py); the figures
as plain frozen data (model.py), computed from the subjects the records hold
(sync/method/ideas.py)."""
