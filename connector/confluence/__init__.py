"""Confluence (Cloud and Data Center): storage-format codec."""
