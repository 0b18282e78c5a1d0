"""Test doubles: the fake Confluence (Cloud and Data Center) and its OpenAPI validator."""
