"""The gateway side every bridge shares: the webhook routes, the ingest worker, the live channels."""
