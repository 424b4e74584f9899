"""The REST API (JSON under /api/v1), described in openapi.py."""
