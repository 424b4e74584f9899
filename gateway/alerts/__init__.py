"""Supervisors' alerts: incidents found in the live figures, posted once each to a Slack channel and
followed up in the same thread when they resolve (docs/alerts.md)."""
