"""/api/v1/slack/links: which Slack account answers as which agent (docs/slack.md).

A link is confirmed by a person logged in to omnirelay: the agent for itself (the console) or a
supervisor of its tenant (the admin screens). The gateway asks Slack (users.lookupByEmail) for the
account of the agent's configured email and takes it only when Slack says that email is confirmed;
nobody can name a Slack account by hand. API keys cannot link anyone.
"""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web

from bridges.base import AuthFailed, BridgeError, Fatal
from gateway.api.auth_helpers import json_body, principal
from gateway.appkeys import CONFIG, REDIS, SLACK
from gateway.audit import audit
from gateway.auth import Principal
from gateway.errors import ClientError
from gateway.keys import TenantKeys
from gateway.slack.links import Link, links, remove_agent_link, save_link

routes = web.RouteTableDef()


async def _person(request: web.Request) -> Principal:
    who = await principal(request, "agent", "supervisor")
    if who.via != "login":
        raise ClientError("forbidden", "A Slack link is confirmed by a person logged in, not by an API key.", 403)
    return who


def _agent_id(request: web.Request, who: Principal, given: object) -> str:
    """The agent a request is about: an agent only ever itself; a supervisor any agent of its tenant."""
    if who.role == "agent":
        if given not in (None, "", who.user_id):
            raise ClientError("forbidden", "Agents link only their own Slack account.", 403)
        return who.user_id
    if not isinstance(given, str) or given not in request.config_dict[CONFIG].tenants[who.tenant].agents:
        raise ClientError("not_found", "There is no such agent.", 404)
    return given


def _view(request: web.Request, tenant: str, link: Link) -> dict:
    agent = request.config_dict[CONFIG].tenants[tenant].agents.get(link.agent_id)
    return {**asdict(link), "agent_name": agent.name if agent else link.agent_id}


@routes.get("/api/v1/slack/links")
async def list_links(request: web.Request) -> web.Response:
    """Supervisors: every link of the tenant and the agents; an agent: its own."""
    who = await _person(request)
    surface = request.config_dict.get(SLACK)
    tenant = request.config_dict[CONFIG].tenants[who.tenant]
    found = [_view(request, who.tenant, x) for x in await links(request.config_dict[REDIS], TenantKeys(who.tenant))
             if who.role == "supervisor" or x.agent_id == who.user_id]
    agents = [{"id": a.id, "name": a.name, "email": a.email} for a in tenant.agents.values()
              if who.role == "supervisor" or a.id == who.user_id]
    ready = bool(surface is not None and await surface.apps.ready(who.tenant))
    return web.json_response({"links": found, "agents": agents, "slack_ready": ready,
                              "slack_configured": any(c.type == "slack" for c in tenant.channels.values())})


@routes.post("/api/v1/slack/links")
async def link(request: web.Request) -> web.Response:
    """Link an agent to the Slack account of its configured email (confirmed in Slack); body ``{agent_id?}``."""
    who = await _person(request)
    body = await json_body(request)
    agent_id = _agent_id(request, who, body.get("agent_id"))
    agent = request.config_dict[CONFIG].tenants[who.tenant].agents[agent_id]
    if not agent.email:
        raise ClientError("no_email", "This agent has no email address configured to find its Slack account by.", 409)
    surface = request.config_dict.get(SLACK)
    bridge = surface.apps.first_ready(who.tenant) if surface is not None else None
    if bridge is None:
        raise ClientError("slack_unavailable", "Slack is not connected for this tenant right now.", 503)
    try:
        user = await bridge.tracked(bridge.client.lookup_by_email(agent.email))
    except (AuthFailed, Fatal) as err:
        raise ClientError("slack_refused", f"Slack refused the lookup ({err}).", 502) from None
    except BridgeError:
        raise ClientError("slack_unavailable", "Slack did not answer; try again.", 503) from None
    if not user or user.get("deleted") or user.get("is_bot"):
        raise ClientError("slack_user_not_found", "Slack knows no person with this agent's email address.", 404)
    email = str((user.get("profile") or {}).get("email", ""))
    if user.get("is_email_confirmed") is not True or email.lower() != agent.email.lower():
        raise ClientError("email_unverified", "The Slack account with this email has not confirmed it, so it "
                          "cannot be linked.", 409)
    profile = user.get("profile") or {}
    name = str(profile.get("display_name") or profile.get("real_name") or user.get("name", ""))
    saved = await save_link(request.config_dict[REDIS], TenantKeys(who.tenant),
                            Link(slack_user=str(user["id"]), agent_id=agent_id, email=agent.email, name=name,
                                 by=who.user_id))
    await audit(request.config_dict[REDIS], TenantKeys(who.tenant), who, "slack.link",
                {"agent_id": agent_id, "slack_user": saved.slack_user})
    return web.json_response({"link": _view(request, who.tenant, saved)})


@routes.delete("/api/v1/slack/links/{agent_id}")
async def unlink(request: web.Request) -> web.Response:
    """Remove an agent's link: its Slack account answers nobody from now on."""
    who = await _person(request)
    agent_id = _agent_id(request, who, request.match_info["agent_id"])
    removed = await remove_agent_link(request.config_dict[REDIS], TenantKeys(who.tenant), agent_id)
    if removed is None:
        raise ClientError("not_found", "This agent has no Slack link.", 404)
    await audit(request.config_dict[REDIS], TenantKeys(who.tenant), who, "slack.unlink",
                {"agent_id": agent_id, "slack_user": removed.slack_user})
    return web.json_response({"ok": True})
