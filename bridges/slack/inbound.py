"""Slack requests in: the Events API (JSON ``event_callback`` and ``url_verification``) and
interactivity (a form post whose ``payload`` field is JSON, e.g. ``block_actions``), both signed the
same way and both served on the channel's one webhook URL.

``parse`` turns them into a small vocabulary: a thread reply (also "also send to channel"), an edit
whose text really changed, a delete, a button. Our own posts are never events: they carry our
metadata (``event_type`` starting ``omnirelay_``), a ``bot_id``, or the ``bot_message`` subtype.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from bridges.base import Delivery, Malformed
from bridges.events import AgentAction, AgentDelete, AgentEdit, AgentReply, Event, Unsupported

OUR_EVENT_PREFIX = "omnirelay_"  # message metadata event_type of everything the gateway posts
ACTIONS = frozenset({"claim", "transfer", "close"})  # the action_ids of our Block Kit elements


def _load(body: bytes) -> dict[str, Any]:
    """The request's JSON: the body itself, or the ``payload`` field of an interactivity form post."""
    try:
        if body.startswith(b"payload="):
            fields = parse_qs(body.decode("utf-8"), strict_parsing=True)
            data = json.loads(fields["payload"][0])
        else:
            data = json.loads(body)
    except (ValueError, KeyError, UnicodeDecodeError) as err:
        raise Malformed("not a Slack event or interactivity payload") from err
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise Malformed("not a Slack event or interactivity payload (no type)")
    return data


def challenge(body: bytes) -> str | None:
    """The answer to ``url_verification`` (Slack checks the request URL with it), else None."""
    try:
        data = _load(body)
    except Malformed:
        return None
    if data.get("type") != "url_verification":
        return None
    return str(data.get("challenge", ""))


def split(body: bytes) -> list[Delivery]:
    """The one event of a request, keyed so that Slack's retries (same ``event_id``) count once."""
    data = _load(body)
    kind = data["type"]
    if kind == "event_callback":
        # an empty event_id would be one dedupe key for all of them: every later one dropped as a repeat
        if not isinstance(data.get("event_id"), str) or not data["event_id"].strip() or not isinstance(data.get("event"), dict):
            raise Malformed("event_callback without event_id or event")
        return [(data["event_id"], data)]
    if kind == "block_actions":
        # no event_id here: the trigger id is unique per press (action_ts with the user as a fallback)
        key = data.get("trigger_id")
        if not isinstance(key, str) or not key:
            try:
                key = f"{data['user']['id']}:{data['actions'][0]['action_ts']}"
            except (KeyError, TypeError, IndexError) as err:
                raise Malformed("block_actions without trigger_id or action_ts") from err
        return [(f"action:{key}", data)]
    return []  # url_verification (answered before), app_rate_limited, other interactivity: nothing to keep


def is_ours(message: dict[str, Any]) -> bool:
    """A message the gateway (or any bot) posted: never an agent's words, so never a loop."""
    metadata = message.get("metadata") or {}
    if str(metadata.get("event_type", "")).startswith(OUR_EVENT_PREFIX):
        return True
    return bool(message.get("bot_id")) or message.get("subtype") == "bot_message" or "bot_profile" in message


def parse(data: dict[str, Any]) -> list[Event]:
    """Canonical events of one stored request; what we do not act on is ``Unsupported`` (acknowledged)."""
    try:
        if data.get("type") == "block_actions":
            return _actions(data)
        event = data["event"]
        if event.get("type") != "message":
            return [Unsupported(kind=f"event/{event.get('type', '')}", raw=data)]
        handler = _SUBTYPES.get(event.get("subtype", ""))
        if handler is None:
            return [Unsupported(kind=f"message/{event.get('subtype')}", raw=data)]
        return handler(event, data)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return [Unsupported(kind="malformed slack payload", raw=data)]


def _reply(event: dict[str, Any], data: dict[str, Any]) -> list[Event]:
    if is_ours(event):
        return [Unsupported(kind="our own post", raw=data)]
    thread, ts = str(event.get("thread_ts", "")), str(event["ts"])
    if not thread or thread == ts:
        return [Unsupported(kind="message outside a thread", raw=data)]  # only thread replies answer customers
    return [AgentReply(thread=thread, message_id=ts, text=str(event.get("text", "")), author=str(event.get("user", "")),
                       place=str(event["channel"]), ts=float(ts), broadcast=event.get("subtype") == "thread_broadcast",
                       raw=data)]


def _changed(event: dict[str, Any], data: dict[str, Any]) -> list[Event]:
    message, previous = event["message"], event.get("previous_message") or {}
    if is_ours(message) or is_ours(previous):
        return [Unsupported(kind="our own post changed", raw=data)]
    # message_changed also fires for unfurls, reply counts and language metadata: only a changed text
    # that Slack marks as edited is an edit (anything else would send the customer the same words again)
    text, before = str(message.get("text", "")), str(previous.get("text", ""))
    if text == before or "edited" not in message:
        return [Unsupported(kind="message_changed without a text change", raw=data)]
    target = str(message.get("ts") or previous["ts"])
    thread = str(message.get("thread_ts") or previous.get("thread_ts") or "")
    if not thread or thread == target:
        return [Unsupported(kind="edit outside a thread", raw=data)]
    edited_at = str((message.get("edited") or {}).get("ts", event.get("ts", "")))
    return [AgentEdit(thread=thread, message_id=f"{target}:edit:{edited_at}", target=target, text=text, previous=before,
                      author=str(message.get("user") or (message.get("edited") or {}).get("user", "")),
                      place=str(event["channel"]), ts=float(event.get("ts") or 0), raw=data)]


def _deleted(event: dict[str, Any], data: dict[str, Any]) -> list[Event]:
    previous = event.get("previous_message") or {}
    if is_ours(previous):
        return [Unsupported(kind="our own post deleted", raw=data)]
    target = str(event.get("deleted_ts") or previous["ts"])
    thread = str(previous.get("thread_ts") or "")
    if not thread or thread == target:
        return [Unsupported(kind="delete outside a thread", raw=data)]
    return [AgentDelete(thread=thread, message_id=f"{target}:deleted", target=target,
                        author=str(previous.get("user", "")), place=str(event["channel"]),
                        ts=float(event.get("ts") or 0), raw=data)]


def _actions(data: dict[str, Any]) -> list[Event]:
    container = data.get("container") or {}
    channel = str(container.get("channel_id") or (data.get("channel") or {}).get("id", ""))
    root = str(container.get("message_ts") or (data.get("message") or {}).get("ts", ""))
    out: list[Event] = []
    for action in data.get("actions") or []:
        name = str(action.get("action_id", ""))
        if name not in ACTIONS:
            out.append(Unsupported(kind=f"action/{name}", raw=data))
            continue
        value = action.get("value")
        if value is None:  # a select menu: the option picked
            value = (action.get("selected_option") or {}).get("value", "")
        out.append(AgentAction(thread=root, message_id=str(action.get("action_ts", "")), action=name,
                               value=str(value), author=str((data.get("user") or {}).get("id", "")), place=channel,
                               ts=float(action.get("action_ts") or 0), raw=data))
    return out


_SUBTYPES: dict[str, Callable[[dict[str, Any], dict[str, Any]], list[Event]]] = {
    "": _reply,
    "thread_broadcast": _reply,  # "also send to channel": a thread reply all the same
    "message_changed": _changed,
    "message_deleted": _deleted,
    "bot_message": lambda event, data: [Unsupported(kind="bot message", raw=data)],
}
