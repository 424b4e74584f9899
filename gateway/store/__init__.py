"""Durable storage in Redis: conversations, their messages, contacts and identities."""
