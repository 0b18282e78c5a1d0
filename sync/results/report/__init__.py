"""The reports: the figure tables every output shares (document.py), the Markdown digest
(markdown.py), the self-contained HTML report (html.py) and its SVG charts (charts.py, the only
module that imports matplotlib)."""
