"""Confluence (Cloud and Data Center).

* the storage-format codec: ``storage`` (row edits), ``storage_render``, ``storage_parse``,
  ``xml_escape``;
* the adapter: ``backend`` (the WikiBackend), ``transport`` (every HTTP call), ``cloud`` and
  ``datacenter`` (the two API dialects), ``v1`` (what both share), ``cql`` (queries),
  ``feed`` (the change feed), ``permissions`` (space roles), ``model``, ``settings``.
"""
