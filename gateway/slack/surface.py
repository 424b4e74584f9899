"""Events from Slack, as the agents' second place to answer: who wrote (a linked agent, or refused),
which conversation (the thread's, within this tenant and this app), and whether the ACD lets that
agent act there (assigned to them, or claiming it assigns it within capacity, by the supervisors'
atomic assign). Anyone else gets an ephemeral refusal; nothing reaches the customer and nobody is
impersonated."""

from __future__ import annotations

import logging

from acd import replies
from acd.errors import AcdError
from bridges.base import BridgeError, NotReady
from bridges.events import AgentAction, AgentDelete, AgentEdit, AgentReply, Event
from gateway.audit import audit
from gateway.auth import Principal
from gateway.conversations.access import agent_conversation
from gateway.conversations.closing import end_conversation
from gateway.errors import ClientError
from gateway.keys import TenantKeys
from gateway.services import Services
from gateway.slack import replies as slack_replies
from gateway.slack import texts
from gateway.slack.apps import SlackApps
from gateway.slack.links import link_of
from gateway.slack.mirror import Mirror
from gateway.slack.replies import Refused
from gateway.store.conversations import Conversation, get_conversation

log = logging.getLogger(__name__)

AgentEvent = AgentReply | AgentEdit | AgentDelete | AgentAction


class SlackSurface:
    """Handles the slack channels' events for the ingest worker (other channels go to ``fallback``)."""

    def __init__(self, svc: Services, apps: SlackApps, mirror: Mirror) -> None:
        self.svc, self.apps, self.mirror = svc, apps, mirror

    def is_slack(self, tenant: str, channel_id: str) -> bool:
        channel = self.svc.config.tenants[tenant].channels.get(channel_id)
        return channel is not None and channel.type == "slack"

    async def handle(self, tenant: str, app_id: str, event: Event) -> None:
        """One event of a slack channel (raising keeps the delivery for a retry)."""
        if not isinstance(event, AgentEvent):
            log.info("slack event not handled", extra={"kind": type(event).__name__, "channel": app_id})
            return
        if not self._our_team(tenant, app_id, event):
            log.warning("slack event from another workspace ignored", extra={"tenant": tenant, "channel": app_id})
            return
        keys = TenantKeys(tenant)
        if isinstance(event, AgentReply | AgentEdit) and await self.svc.redis.exists(
                keys.slack_posted(event.place, event.message_id if isinstance(event, AgentReply) else event.target)):
            return  # one of our own posts coming back (metadata and bot_id aside): never a loop
        cid = replies.maybe_text(await self.svc.redis.get(keys.slack_thread_of(event.place, event.thread)))
        if not cid or replies.maybe_text(await self.svc.redis.hget(keys.slack_thread(cid), "app")) != app_id:
            if isinstance(event, AgentReply) and self._alerts_channel(tenant, app_id, event.place):
                await self._tell(tenant, app_id, event, texts.ALERTS_ONLY)  # no customer is behind an alert
            return  # a thread that is no conversation of this app: nobody's business here
        conv = await get_conversation(self.svc.redis, keys, cid)
        if conv is None:
            return
        try:
            await self._act(tenant, app_id, conv, event)
        except Refused as refusal:
            await self._tell(tenant, app_id, event, str(refusal))

    def _our_team(self, tenant: str, app_id: str, event: AgentEvent) -> bool:
        me = self.apps.identity.get((tenant, app_id))
        raw = event.raw if isinstance(event.raw, dict) else {}
        team = raw.get("team_id") or (raw.get("team") or {}).get("id", "") if raw else ""
        return me is None or not me.team_id or not team or team == me.team_id

    def _alerts_channel(self, tenant: str, app_id: str, place: str) -> bool:
        """Whether ``place`` is the tenant's alerts channel as this app posts it (gateway/alerts)."""
        t = self.svc.config.tenants[tenant]
        alerts_app = t.alerts.slack or next((cid for cid, ch in t.channels.items() if ch.type == "slack"), "")
        return bool(t.alerts.slack_channel) and place == t.alerts.slack_channel and alerts_app == app_id

    async def _agent(self, tenant: str, slack_user: str) -> tuple[str, str]:
        """(agent id, name) of a linked Slack user; Refused for anyone else."""
        link = await link_of(self.svc.redis, TenantKeys(tenant), slack_user)
        if link is None:
            raise Refused(texts.NOT_LINKED)
        agent = self.svc.config.tenants[tenant].agents.get(link.agent_id)
        if agent is None or agent.disabled:
            raise Refused(texts.AGENT_DISABLED)
        return agent.id, agent.name

    async def _act(self, tenant: str, app_id: str, conv: Conversation, event: AgentEvent) -> None:
        agent_id, name = await self._agent(tenant, event.author)
        match event:
            case AgentReply():
                cid = slack_replies.client_id(event.place, event.message_id)
                if slack_replies.is_note(event.text):
                    await self._may_note(tenant, conv, agent_id, name)
                    if await slack_replies.note(self.svc, conv, agent_id, name, event.text, cid):
                        await audit(self.svc.redis, TenantKeys(tenant), _principal(tenant, agent_id, name),
                                    "conversation.note", {"conversation_id": conv.id, "via": "slack"})
                    return
                await self._hold(tenant, app_id, conv, agent_id, name)
                await slack_replies.reply(self.svc, conv, agent_id, name, event.text, cid, event.message_id)
            case AgentEdit() | AgentDelete():
                original = slack_replies.client_id(event.place, event.target)
                written = await slack_replies.written_by(self.svc, conv, original)
                if written is None or written[1] != agent_id:
                    return  # a note, a refused reply, or someone else's: nothing of it reached the customer
                await slack_replies.change(self.svc, conv, agent_id, name, original,
                                           slack_replies.client_id(event.place, event.message_id), event.target,
                                           event.text if isinstance(event, AgentEdit) else None)
            case AgentAction():
                await self._action(tenant, app_id, conv, event, agent_id, name)

    async def _may_note(self, tenant: str, conv: Conversation, agent_id: str, name: str) -> None:
        """The console's rule for notes (gateway/conversations/access.py): only the agent the conversation
        is assigned to; Refused for anyone else. A note never claims a conversation."""
        if conv.state == "closed":
            raise Refused(texts.CLOSED)
        try:
            await agent_conversation(self.svc, _principal(tenant, agent_id, name), conv.id)
        except ClientError as err:
            raise Refused(texts.CLOSED if err.code == "not_found" else texts.NOTE_NOT_HELD) from err

    async def _hold(self, tenant: str, app_id: str, conv: Conversation, agent_id: str, name: str) -> None:
        """Make sure the agent holds the conversation: assigned to them already, or claimed now within
        capacity (the ACD's atomic assign); Refused otherwise."""
        if conv.state == "closed":
            raise Refused(texts.CLOSED)
        if conv.state == "assigned":
            if conv.agent_id == agent_id:
                return
            other = self.svc.config.tenants[tenant].agents.get(conv.agent_id)
            raise Refused(texts.HELD_BY_OTHER.format(agent=other.name if other else conv.agent_id))
        try:
            await self.svc.router.assign(tenant, conv.id, agent_id)
        except AcdError as err:
            raise Refused(texts.ACD.get(err.code, texts.ACD_OTHER)) from err
        await audit(self.svc.redis, TenantKeys(tenant), _principal(tenant, agent_id, name), "slack.claim",
                    {"conversation_id": conv.id})
        await self._refresh(tenant, conv.id)

    async def _action(self, tenant: str, app_id: str, conv: Conversation, event: AgentAction, agent_id: str,
                      name: str) -> None:
        target, _, queue = event.value.partition("|")
        if target != conv.id:
            return  # a control of another conversation's message: forged or stale
        who = _principal(tenant, agent_id, name)
        keys = TenantKeys(tenant)
        if event.action == "claim":
            if conv.state == "assigned" and conv.agent_id == agent_id:
                raise Refused(texts.ALREADY_YOURS)
            await self._hold(tenant, app_id, conv, agent_id, name)
            return
        if conv.state != "assigned" or conv.agent_id != agent_id:
            raise Refused(texts.CLOSED if conv.state == "closed" else texts.NOT_HELD)
        if event.action == "transfer":
            if queue not in self.svc.config.tenants[tenant].queues:
                return
            try:
                await self.svc.router.transfer(tenant, conv.id, queue=queue)
            except AcdError as err:
                raise Refused(texts.ACD.get(err.code, texts.ACD_OTHER)) from err
            await audit(self.svc.redis, keys, who, "conversation.transfer",
                        {"conversation_id": conv.id, "queue": queue, "agent_id": "", "via": "slack"})
        elif event.action == "close":
            if self.svc.config.tenants[tenant].queues.get(conv.queue) and \
                    self.svc.config.tenants[tenant].queues[conv.queue].wrapup_required:
                raise Refused(texts.WRAPUP_REQUIRED)
            await end_conversation(self.svc, tenant, conv, reason="agent")
            await audit(self.svc.redis, keys, who, "conversation.close", {"conversation_id": conv.id, "via": "slack"})
        await self._refresh(tenant, conv.id)

    async def _refresh(self, tenant: str, cid: str) -> None:
        conv = await get_conversation(self.svc.redis, TenantKeys(tenant), cid)
        if conv is None:
            return
        try:
            await self.mirror.refresh(tenant, conv)
        except BridgeError as err:  # the state shows at the next change; the action itself is done
            log.warning("could not update the slack thread's first message", extra={"conversation": cid,
                                                                                    "error": str(err)})

    async def _tell(self, tenant: str, app_id: str, event: AgentEvent, text: str) -> None:
        """An ephemeral line to the Slack user who tried (nobody else sees it)."""
        app = self.apps.app(tenant, app_id)
        if app is None or not event.author:
            return
        try:
            await app.tracked(app.client.post_ephemeral(event.place, event.author, text, thread_ts=event.thread))
        except NotReady:
            raise  # the delivery is retried: a refusal is worth telling (and stores nothing twice)
        except BridgeError as err:
            log.warning("could not tell a slack user their action was refused", extra={"error": str(err)})


def _principal(tenant: str, agent_id: str, name: str) -> Principal:
    """The agent as the audit trail names an actor (acting from Slack, no console session)."""
    return Principal(tenant=tenant, user_id=agent_id, role="agent", name=name, session_id="slack", expires_at=0,
                     via="slack")
