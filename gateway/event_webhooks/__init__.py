"""Signed outbound event webhooks (issue 15): subscriptions per tenant, events derived from the
archive outbox and the ACD event log, durable per-subscription delivery queues, retries, dead letters."""
