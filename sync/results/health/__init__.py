"""Community health: the figures as frozen data (model.py), computed purely from the
records (compute.py, profiles.py), and the shell that gathers them (run.py)."""
