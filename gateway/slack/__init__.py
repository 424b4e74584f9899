"""Slack as a second place where agents answer (docs/slack.md): queues mirrored into Slack threads,
replies and buttons from Slack checked against the agent links and the ACD, then through the same
paths as the console (the store's append, the outbox, the ACD's atomic scripts)."""
