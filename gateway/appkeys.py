"""Typed application state: every web.AppKey of the gateway, in one place."""

from __future__ import annotations

import asyncio

import socketio
from aiohttp import web
from redis.asyncio import Redis

from gateway.admin.service import AdminSettings
from gateway.alerts.service import Alerts
from gateway.auth import Sessions
from gateway.background import Background
from gateway.config.schema import Config
from gateway.crm.lookup import CrmLookups
from gateway.event_webhooks.service import EventWebhooks
from gateway.history.service import History
from gateway.media.fetcher import MediaFetcher
from gateway.metrics import Metrics
from gateway.outbound import DeliveryReporter, Outbox
from gateway.routing import Router
from gateway.services import Services
from gateway.slack.surface import SlackSurface
from gateway.webhooks.channels import BridgedChannels
from gateway.webhooks.ingest import InboundHandler, Ingest

CONFIG = web.AppKey("config", Config)
REDIS = web.AppKey("redis", Redis)
REDIS_URL = web.AppKey("redis_url", str)
SIO = web.AppKey("sio", socketio.AsyncServer)
SESSIONS = web.AppKey("sessions", Sessions)
METRICS = web.AppKey("metrics", Metrics)
NODE_ID = web.AppKey("node_id", str)
BACKGROUND = web.AppKey("background", Background)
STOPPING = web.AppKey("stopping", asyncio.Event)  # set the moment the gateway is asked to stop (gateway/shutdown.py)
ROUTER = web.AppKey("router", Router)
SERVICES = web.AppKey("services", Services)
HISTORY = web.AppKey("history", History)  # the history database (gateway/history), when the app has one
ADMIN = web.AppKey("admin", AdminSettings)  # the admin settings (gateway/admin), when the app has a database

# Bridges (gateway/webhooks, gateway/outbound.py): the live channels, the workers, and the two
# callables the conversation service provides (set them before the bridges' cleanup_ctx runs).
# A callable type is no class, so its key names the type as a type argument instead.
BRIDGED = web.AppKey("bridged", BridgedChannels)
INGEST = web.AppKey("ingest", Ingest)
OUTBOX = web.AppKey("outbox", Outbox)
INBOUND_HANDLER = web.AppKey[InboundHandler]("inbound_handler")
DELIVERY_REPORTER = web.AppKey[DeliveryReporter]("delivery_reporter")
MEDIA_FETCHER = web.AppKey("media_fetcher", MediaFetcher)  # customers' files: gateway/media/fetcher.py
CRM = web.AppKey("crm", CrmLookups)  # CRM lookups (gateway/crm): the panel's card, the routing hook
EVENT_WEBHOOKS = web.AppKey("event_webhooks", EventWebhooks)  # signed outbound event webhooks (gateway/event_webhooks)
SLACK = web.AppKey("slack", SlackSurface)  # Slack as an agent surface (gateway/slack), once the bridges run
ALERTS = web.AppKey("alerts", Alerts)  # supervisors' Slack alerts (gateway/alerts)
