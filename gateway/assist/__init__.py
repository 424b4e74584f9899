"""Assist in the gateway: the leaf library ``assist/`` put to work on live conversations (the per-tenant
topic classifier and language detection in service.py, what happens when a customer writes in inbound.py,
the agent's correction in correct.py; answer suggestions and automatic answers beside them)."""
