"""Business hours: when a tenant (or one of its queues) is open, and when it opens next."""
