"""Checks of a tenant's ``event_webhooks.subscriptions`` (docs/webhooks.md): each yields (path, message)."""

from __future__ import annotations

from collections.abc import Iterator

from gateway.config.schema import TenantEventWebhooksConfig
from gateway.event_webhooks.events import EVENT_TYPES
from gateway.event_webhooks.subscriptions import MAX_NAME, MAX_SUBSCRIPTIONS, RETRY_WINDOW_S
from gateway.event_webhooks.targets import TargetRefused, check_url

MIN_SECRET = 16


def webhook_issues(path: tuple, hooks: TenantEventWebhooksConfig) -> Iterator[tuple[tuple, str]]:
    """What is wrong with one tenant's config-defined subscriptions (an entry without url is off)."""
    subs = (*path, "subscriptions")
    if len(hooks.subscriptions) > MAX_SUBSCRIPTIONS:
        yield subs, f"event_webhooks.subscriptions may list at most {MAX_SUBSCRIPTIONS} subscriptions"
    seen: set[str] = set()
    for i, sub in enumerate(hooks.subscriptions):
        at = (*subs, i)
        if not sub.url:
            continue
        try:
            url = check_url(sub.url, allow_private=True)  # the operator's own receiver may be inside the network
        except TargetRefused as err:
            yield (*at, "url"), f"event webhook subscription {i + 1}: {err}"
            continue
        if url in seen:
            yield (*at, "url"), f"event webhook subscription {i + 1}: {url} is listed twice"
        seen.add(url)
        if len(sub.secret) < MIN_SECRET:
            yield (*at, "secret"), (f"event webhook subscription {i + 1}: secret must be at least {MIN_SECRET} characters "
                                    "(use ${NAME}); nothing is ever sent unsigned")
        if not sub.events:
            yield (*at, "events"), f"event webhook subscription {i + 1}: events must list event types, or [\"*\"] for all"
        for name in sub.events:
            if name != "*" and name not in EVENT_TYPES:
                yield (*at, "events"), (f"event webhook subscription {i + 1}: unknown event type '{name}' "
                                        f"(known: {', '.join(EVENT_TYPES)})")
        low, high = RETRY_WINDOW_S
        if sub.retry_window_s is not None and not low <= sub.retry_window_s <= high:
            yield (*at, "retry_window_s"), (f"event webhook subscription {i + 1}: retry_window_s must be from "
                                            f"{low:.0f} to {high:.0f} seconds")
        if len(sub.name) > MAX_NAME:
            yield (*at, "name"), f"event webhook subscription {i + 1}: name must be at most {MAX_NAME} characters"
