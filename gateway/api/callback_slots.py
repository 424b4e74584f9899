"""``GET /api/v1/widget/callback-slots?tenant=…&(queue=…|topic=…)&language=…`` (public, like the
widget config): the times a customer may book a callback for, each with the places it has left,
and whether "as soon as possible" is offered (only while the queue is open). Rate-limited per
client address, since anyone may call it."""

from __future__ import annotations

import datetime as dt
import time

from aiohttp import web

from gateway.api.auth_helpers import json_error
from gateway.api.client_address import client_address
from gateway.appkeys import CONFIG, REDIS
from gateway.callbacks.slots import offered
from gateway.hours.schedule import hours_for, is_open
from gateway.keys import TenantKeys
from gateway.ratelimit import allow

routes = web.RouteTableDef()
PER_ADDRESS_PER_MIN = 60
_CORS = {"Access-Control-Allow-Origin": "*"}


@routes.get("/api/v1/widget/callback-slots")
async def callback_slots(request: web.Request) -> web.Response:
    config, redis = request.config_dict[CONFIG], request.config_dict[REDIS]
    tenant = config.tenants.get(request.query.get("tenant", ""))
    if tenant is None:
        return json_error(404, "unknown_tenant", "unknown tenant")
    if not await allow(redis, TenantKeys(tenant.id), f"slots:{client_address(request)}", PER_ADDRESS_PER_MIN, 60):
        return json_error(429, "rate_limited", "too many requests; wait a minute")
    queue_id, topic_id = request.query.get("queue", ""), request.query.get("topic", "")
    if not queue_id and topic_id in tenant.topics:
        queue_id = tenant.topics[topic_id].queue
    elif not queue_id and not topic_id and tenant.topics:  # the tenant's first topic, as the widget's form preselects
        queue_id = next(iter(tenant.topics.values())).queue
    if queue_id not in tenant.queues:
        return json_error(404, "unknown_queue", "unknown queue or topic")
    language = request.query.get("language", "")
    if language and language not in tenant.languages:
        return json_error(400, "bad_language", f"language must be one of {', '.join(tenant.languages)}")
    now = time.time()
    hours = hours_for(config, tenant.id, queue_id)
    slots = await offered(redis, config, tenant.id, queue_id, language, now)
    return web.json_response({
        "tenant": tenant.id, "queue": queue_id, "timezone": hours.timezone if hours else "UTC",
        "slot_minutes": tenant.callbacks.slot_minutes,
        "asap": is_open(hours, dt.datetime.fromtimestamp(now, dt.UTC)),  # "as soon as possible" only while open
        "slots": [s.to_wire() for s in slots],
    }, headers=_CORS)
