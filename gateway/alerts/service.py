"""The alert loop: every ``check_s`` one gateway process per tenant compares the incidents it finds
(conditions.py) with those already posted, posts each new one once, and answers in the incident's thread
when it has stayed resolved for ``resolve_after_s`` (no flapping).

The posted incidents live in Redis (``TenantKeys.alerts_open``, key -> json), so a restart, another
gateway process or a failed post changes nothing: an incident is claimed (HSETNX) before it is posted,
and a post that fails gives the claim back so the next check tries again. A process that died between
claim and post leaves a claim older than ``CLAIM_S``, which the next check takes over.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from bridges.base import BridgeError
from bridges.slack.client import SlackClient
from gateway.alerts import texts
from gateway.alerts.conditions import FailedCallback, Incident, incidents
from gateway.callbacks.records import get_callback, open_callback
from gateway.config.schema import AlertsConfig, Config
from gateway.keys import TenantKeys
from gateway.routing import Router
from gateway.store.conversations import get_conversation

log = logging.getLogger(__name__)

CLAIM_S = 60.0  # a claim this old was left by a process that died before posting
CALLBACK_KEEP_S = 7 * 86400  # a failed callback nobody followed up stops alerting after a week


class Alerts:
    """The alert checks of every tenant, in one gateway process."""

    def __init__(self, config: Config, router: Router, client_for: Callable[[str, str], SlackClient | None],
                 node_id: str, metrics: Any = None) -> None:
        self.config = config
        self.router = router
        self.redis = router.redis
        self.client_for = client_for  # (tenant, slack channel config id) -> the Slack app's client, None if none
        self.node_id = node_id
        self.metrics = metrics

    def settings(self, tenant: str) -> AlertsConfig | None:
        t = self.config.tenants.get(tenant)
        return t.alerts if t is not None and t.alerts.slack_channel else None

    async def check_all(self) -> None:
        for tenant in self.config.tenants:
            cfg = self.settings(tenant)
            if cfg is None:
                continue
            keys = TenantKeys(tenant)
            # one process per tenant and period does the work (any one: the state is in Redis)
            if not await self.redis.set(keys.leader("alerts"), self.node_id, nx=True, px=int(cfg.check_s * 900)):
                continue
            try:
                await self.check(tenant, cfg, time.time())
            except Exception:  # one tenant's trouble (Redis, Slack) must not stop the others' alerts
                log.exception("alert check failed", extra={"tenant": tenant})

    async def check(self, tenant: str, cfg: AlertsConfig, now: float) -> None:
        keys = TenantKeys(tenant)
        snapshot = await self.router.snapshot(tenant, now)
        health = {str(cid): str(state) for cid, state in (await self.redis.hgetall(keys.channel_health())).items()
                  if cid in self.config.tenants[tenant].channels}
        active = incidents(cfg, snapshot, health, await self._failed_callbacks(keys, now), now)
        posted: dict[str, dict] = {str(k): json.loads(v) for k, v in (await self.redis.hgetall(keys.alerts_open())).items()}
        client = self._client(tenant, cfg)
        for key, incident in active.items():
            state = posted.get(key)
            if state is None or (state.get("ts") is None and now - state.get("claimed", 0) > CLAIM_S):
                await self._open(keys, cfg, client, incident, now, retake=state is not None)
            elif state.get("clear_since") is not None:  # back before it counted as resolved: the same incident
                state["clear_since"] = None
                await self.redis.hset(keys.alerts_open(), key, json.dumps(state))
        for key, state in posted.items():
            if key in active or state.get("ts") is None:
                continue
            if state.get("clear_since") is None:
                state["clear_since"] = now
                await self.redis.hset(keys.alerts_open(), key, json.dumps(state))
            elif now - state["clear_since"] >= cfg.resolve_after_s:
                await self._resolve(keys, cfg, client, key, state, now)

    def _client(self, tenant: str, cfg: AlertsConfig) -> SlackClient | None:
        t = self.config.tenants[tenant]
        app_id = cfg.slack or next((cid for cid, ch in t.channels.items() if ch.type == "slack"), "")
        return self.client_for(tenant, app_id) if app_id else None

    async def _open(self, keys: TenantKeys, cfg: AlertsConfig, client: SlackClient | None, incident: Incident,
                    now: float, *, retake: bool) -> None:
        claim = json.dumps({"kind": incident.kind, "subject": incident.subject, "claimed": now, "ts": None})
        if retake:
            await self.redis.hset(keys.alerts_open(), incident.key, claim)
        elif not await self.redis.hsetnx(keys.alerts_open(), incident.key, claim):
            return  # another process is posting it
        if client is None:
            await self.redis.hdel(keys.alerts_open(), incident.key)
            log.warning("alert not posted: the tenant has no Slack app running", extra={"tenant": keys.tenant})
            return
        language = cfg.language or self.config.tenants[keys.tenant].languages[0]
        text = texts.alert_text(incident, language)
        try:
            ts = await client.post_message(cfg.slack_channel, text, blocks=self._blocks(text, language),
                                           metadata={"event_type": "omnirelay_alert",
                                                     "event_payload": {"incident": incident.key}})
        except BridgeError as err:
            await self.redis.hdel(keys.alerts_open(), incident.key)  # the next check tries again
            self._count(keys.tenant, incident.kind, "failed")
            log.warning("alert not posted", extra={"tenant": keys.tenant, "incident": incident.key, "error": str(err)})
            return
        await self.redis.hset(keys.alerts_open(), incident.key, json.dumps(
            {"kind": incident.kind, "subject": incident.subject, "ts": ts, "opened": now, "clear_since": None}))
        self._count(keys.tenant, incident.kind, "opened")
        log.info("alert posted", extra={"tenant": keys.tenant, "incident": incident.key})

    async def _resolve(self, keys: TenantKeys, cfg: AlertsConfig, client: SlackClient | None, key: str,
                       state: dict, now: float) -> None:
        if client is None:
            return  # kept until the app is back: the thread gets its answer then
        language = cfg.language or self.config.tenants[keys.tenant].languages[0]
        try:
            await client.post_message(cfg.slack_channel, texts.resolved_text(now - state.get("opened", now), language),
                                      thread_ts=state["ts"],
                                      metadata={"event_type": "omnirelay_alert", "event_payload": {"incident": key}})
        except BridgeError as err:
            log.warning("alert resolution not posted", extra={"tenant": keys.tenant, "incident": key, "error": str(err)})
            return  # tried again at the next check
        await self.redis.hdel(keys.alerts_open(), key)
        if key.startswith("callback:"):
            await self.redis.zrem(keys.alerts_callbacks(), key.split(":", 1)[1])
        self._count(keys.tenant, state.get("kind", ""), "resolved")

    def _blocks(self, text: str, language: str) -> list[dict]:
        base = self.config.server.public_url.rstrip("/")
        blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
        if base.startswith(("http://", "https://")):
            blocks.append({"type": "actions", "elements": [{
                "type": "button", "text": {"type": "plain_text", "text": texts.dashboard_label(language)},
                "url": f"{base}/supervisor", "action_id": "omnirelay_open_dashboard"}]})
        return blocks

    async def _failed_callbacks(self, keys: TenantKeys, now: float) -> list[FailedCallback]:
        """The callbacks that ran out of attempts, each followed up once anything happened in its
        conversation after the failure (a message, a close), a new callback was booked, or it is gone."""
        await self.redis.zremrangebyscore(keys.alerts_callbacks(), "-inf", now - CALLBACK_KEEP_S)
        found = []
        rows: list[Any] = await self.redis.zrange(keys.alerts_callbacks(), 0, -1, withscores=True)
        for cid, failed_at in ((str(row[0]), float(row[1])) for row in rows):
            cb = await get_callback(self.redis, keys, cid)
            if cb is None:
                await self.redis.zrem(keys.alerts_callbacks(), cid)
                continue
            conv = await get_conversation(self.redis, keys, cb.conversation_id)
            followed = (conv is None or conv.updated_at > failed_at
                        or await open_callback(self.redis, keys, cb.contact_id, cb.queue) is not None)
            found.append(FailedCallback(cb.id, cb.queue, cb.phone, cb.attempts, followed))
        return found

    def _count(self, tenant: str, kind: str, outcome: str) -> None:
        counter = getattr(self.metrics, "alerts", None)
        if counter is not None:
            counter.labels(tenant=tenant, kind=kind, outcome=outcome).inc()

