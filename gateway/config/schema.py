"""The shape of an omnirelay config file, as dataclasses (the loader validates against these).

Field docs here are the config reference's source; docs/config.md explains them for operators.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from bridges.dialers import DIALERS
from bridges.registry import BRIDGES

WORK_CHANNELS = ("chat", "messaging", "email", "voice")
REALTIME_CHANNELS = ("chat", "messaging", "voice")
# Channel types a config may name without a bridge in this build: the widget (its own socket) and
# the platforms whose bridges are on their way (/healthz shows those unavailable). Everything else
# about a bridged type (work channel, identity kind, secrets) is in its BridgeSpec.
KNOWN_CHANNEL_TYPES = ("widget", "telegram", "whatsapp", "messenger", "slack", "email")


def channel_types() -> tuple[str, ...]:
    """Every channel type a config may use, read at call time (a test may register a bridge)."""
    return (*KNOWN_CHANNEL_TYPES, *(t for t in BRIDGES if t not in KNOWN_CHANNEL_TYPES), *DIALERS)


POLICIES = ("longest_idle", "least_occupancy", "best_proficiency")


@dataclass
class StepConfig:
    """One routing step of a queue; steps run in order while the task waits."""

    timeout_s: float | None = None  # how long this step lasts; None on the last step = forever
    min_proficiency: int = 1  # agents need at least this proficiency in the queue's skill
    relax_language: bool = False  # True: any language may take the task in this step
    overflow: str | None = None  # move the task to this queue (keeps its enqueue time)
    escalate: list[str] = field(default_factory=list)  # offer the customer: "email", "callback"


@dataclass(frozen=True)
class HoursConfig:
    """Business hours (gateway/hours/schedule.py). Outside them the widget shows the offline form and
    messenger customers get the channel's ``closed_reply``."""

    timezone: str = "UTC"  # IANA zone the times are in (Europe/Berlin); DST is followed
    weekly: dict[str, list[str]] | None = None  # mon..sun -> ["08:00-18:00", "22:00-06:00"]; a day left out is closed; None = every day, all day
    holidays: list[str] = field(default_factory=list)  # "2026-12-25": closed the whole local day
    closed: bool = False  # closed regardless of the times (demo: DEMO_HOURS_CLOSED=1)
    when_closed: str = "wait"  # work arriving closed: wait (offered at the opening) | escalate (the queue's escalation step at once)


@dataclass
class WrapupCodeConfig:
    """A wrap-up code of a queue: its id is what is stored (and searched); ``name`` is what agents read."""

    id: str
    name: str = ""  # shown in the close dialog; "" = the id
    topic: str | None = None  # what a conversation closed with this code was about: teaches the topic classifier


@dataclass
class LabelConfig:
    """A label agents put on conversations: its id is stored (comma-separated ``labels``); ``name`` is shown."""

    id: str
    name: str = ""  # shown in the console; "" = the id


@dataclass
class QueueConfig:
    id: str
    skill: str
    name: str = ""
    policy: str = "longest_idle"  # longest_idle | least_occupancy | best_proficiency
    priority: int = 0  # base priority of tasks entering this queue (higher first)
    aging_per_min: float = 0.0  # priority points a waiting task gains per minute
    sla_threshold_s: float = 20.0  # answered within this many seconds counts as in service level
    sla_target: float = 0.8  # the service level the queue aims for (0..1), used by Erlang C
    wrapup_s: float = 30.0  # slot stays busy this long after close, or until a wrap-up code
    decline_cooldown_s: float = 30.0  # a declined/missed task comes back to that agent after this (0: at once)
    aht_s: float = 180.0  # initial average handle time for wait estimates, until measured
    offer_timeout_s: dict[str, float] = field(
        default_factory=lambda: {"chat": 20.0, "messaging": 20.0, "email": 60.0, "voice": 15.0}
    )
    steps: list[StepConfig] = field(default_factory=lambda: [StepConfig()])
    hours: HoursConfig | None = None  # this queue's own business hours; None = the tenant's
    wrapup_codes: dict[str, WrapupCodeConfig] = field(default_factory=dict)  # code id -> its name in the close dialog
    wrapup_required: bool = False  # True: an agent closes a conversation of this queue only with one of its wrapup_codes
    auto_exclude_topics: list[str] = field(default_factory=list)  # topics never answered automatically here (complaints, cancellations, legal …)
    slack_channel: str = ""  # a Slack channel id (C…) this queue's conversations are mirrored into, one thread each (docs/slack.md); "" = none
    slack: str = ""  # the tenant's slack channel (config id) to mirror through; "" = its only one


@dataclass
class TopicConfig:
    id: str
    queue: str  # queue a conversation with this topic enters
    label: dict[str, str] = field(default_factory=dict)  # language -> text shown to visitors
    examples: dict[str, list[str]] = field(default_factory=dict)  # language -> example customer messages the topic classifier learns from (gateway/assist)


@dataclass
class ChannelRuleConfig:
    """Blending rule for one work channel (the "interruptible by" idea, reduced to two knobs)."""

    blocks: list[str] = field(default_factory=list)  # while work of this channel is open: no new offers of these
    max_realtime_occupancy: float | None = None  # offered only while real-time occupancy is below this


@dataclass
class BlendingConfig:
    rules: dict[str, ChannelRuleConfig] = field(
        default_factory=lambda: {
            "voice": ChannelRuleConfig(blocks=["chat", "messaging"]),
            "email": ChannelRuleConfig(max_realtime_occupancy=0.5),
        }
    )


@dataclass
class AgentConfig:
    id: str
    name: str
    password_hash: str
    languages: list[str] = field(default_factory=list)
    skills: dict[str, int] = field(default_factory=dict)  # skill -> proficiency 1..5
    capacity: dict[str, int] = field(default_factory=dict)  # work channel -> max open items
    auto_accept: bool = False
    email: str = ""
    phone: str = ""  # where a callback rings the agent first (SIP URI, extension or number); "" = sip:<id>
    disabled: bool = False  # True: cannot log in, and nothing is routed to them (set in the admin screens)


@dataclass
class SupervisorConfig:
    id: str
    name: str
    password_hash: str
    admin: bool = False  # True: may use the admin screens (agents, queues, topics, … stored in the database)


@dataclass
class CannedConfig:
    id: str
    title: str
    text: str
    language: str = ""
    topic: str = ""  # the topic it answers ("" = none); an answer of an excluded topic is never sent automatically
    examples: list[str] = field(default_factory=list)  # customer phrasings it answers (suggestions learn from them)
    auto_queues: list[str] = field(default_factory=list)  # approved for automatic answers in these queues (docs/assist.md)


@dataclass
class ChannelConfig:
    """A customer-facing channel. Secrets come from ${ENV}; a channel without one rejects webhooks."""

    id: str
    type: str  # widget | telegram | whatsapp | messenger | slack | email
    name: str = ""
    topic: str = ""  # default topic of conversations arriving here (messengers have no pre-chat form); "auto": the topic classifier picks it (gateway/assist)
    default_topic: str = ""  # topic: auto: the topic when the classifier is unsure; "" = the tenant's assist.default_topic
    language: str = ""  # default language when the platform does not tell
    api_base: str = ""  # outbound API base URL (tests point it at a local server)
    secret: str = ""  # telegram: X-Telegram-Bot-Api-Secret-Token; webhook dialer: HMAC key of both directions
    url: str = ""  # webhook dialer: where call requests are POSTed
    token: str = ""  # telegram bot token / slack bot token / meta page or system-user token
    app_secret: str = ""  # whatsapp, messenger: X-Hub-Signature-256 key
    verify_token: str = ""  # whatsapp, messenger: hub.verify_token
    signing_secret: str = ""  # slack: v0 signature key
    phone_number_id: str = ""  # whatsapp
    allowed_origins: list[str] = field(default_factory=list)  # widget: pages allowed to embed it
    allow_groups: bool = False  # telegram: also take messages from group chats (private chats only by default)
    human_agent_tag: bool = False  # messenger: the page has Meta's HUMAN_AGENT permission (replies up to 7 days)
    templates: dict[str, str] = field(default_factory=dict)  # whatsapp: language -> approved template for a closed window
    queue_notice_after_s: float = 60.0  # messengers: a waiting customer hears position and wait after this long …
    queue_notice_every_s: float = 300.0  # … and again at most this often
    address: str = ""  # email: the tenant's support address (From of our mails; replies come back to it)
    display_name: str = ""  # email: the name shown with the address
    smtp_host: str = ""  # email: outbound SMTP server
    smtp_port: int = 587
    smtp_tls: str = "starttls"  # email: none | starttls | tls (implicit)
    smtp_username: str = ""  # email: login (from ${SECRET}); "" = no login
    smtp_password: str = ""
    listen_host: str = ""  # email: the gateway's own inbound SMTP listener ("" = none)
    listen_port: int = 2526
    accepted_domains: list[str] = field(default_factory=list)  # email: recipient domains the listener takes
    username: str = ""  # ari dialer: the ARI user (HTTP basic auth; from ${SECRET})
    password: str = ""  # ari dialer: its password
    app: str = "omnirelay"  # ari dialer: the Stasis application the call legs enter
    agent_endpoint: str = "PJSIP/{agent}"  # ari dialer: how an agent's phone is dialled
    customer_endpoint: str = "PJSIP/{number}@trunk"  # ari dialer: how a customer's number is dialled
    caller_id: str = ""  # ari dialer: the number the customer's phone shows
    closed_reply: dict[str, str] = field(default_factory=dict)  # messengers: language -> auto-reply outside business hours (once per conversation)


@dataclass
class WidgetConfig:
    long_wait_s: float = 120.0  # past this estimated wait the widget offers email / callback
    greeting: dict[str, str] = field(default_factory=dict)
    abandon_after_s: float = 90.0  # a waiting visitor with no open tab this long has abandoned
    identity_secret: str = ""  # signs visitor identities from the customer's site (${SECRET}); "" = none accepted
    idle_visitor_ttl_s: int = 3600  # a visitor who never wrote is forgotten after this long
    # the tenant's look (served by /api/v1/widget/config; checked in config/validate.py)
    colour: str = ""  # the accent colour, "#rgb" or "#rrggbb"; "" = the default blue
    logo_url: str = ""  # an http(s) image shown in the panel's header
    position: str = "right"  # right | left: the page corner of the launcher
    launcher_text: dict[str, str] = field(default_factory=dict)  # language -> label next to the launcher's icon
    privacy_notice: dict[str, str] = field(default_factory=dict)  # language -> a line under the chat (plain text)
    # pages that may open the chat and read its config (gateway/sockets/origin.py), e.g. [https://shop.example];
    # [] = the widget channels' allowed_origins decide (empty there too: any page); "*" = any page
    allowed_origins: list[str] = field(default_factory=list)


@dataclass
class CallbacksConfig:
    """Voice callbacks of a tenant (gateway/callbacks): who may be called and how often we try."""

    allowed_countries: list[str] = field(default_factory=list)  # ISO 3166 codes (DE, AT, …); [] = any country
    default_region: str = ""  # how a number without +country code is read (e.g. DE); "" = such numbers are refused
    max_attempts: int = 3  # calls per callback before it is given up (the customer hears so)
    retry_after_s: float = 600.0  # after no answer or busy, the next attempt waits this long
    dialer: str = ""  # id of the tenant's dialer channel (type webhook or ari); "" = callbacks are not dialled
    slot_minutes: int = 30  # the times a customer may book start every this many minutes (local time), inside business hours
    slot_days: int = 7  # slots are offered for today and the days after it, this many days in all
    handle_s: float = 600.0  # time one callback takes an agent: a slot holds (voice agents × slot length / handle_s) callbacks


@dataclass
class AssistConfig:
    """Assist (gateway/assist, docs/assist.md): the topic classifier, language detection and answer suggestions."""

    topic_threshold: float = 0.5  # the classifier abstains below this confidence (0..1); the default topic applies
    default_topic: str = ""  # the topic of an abstaining message on a topic: auto channel without its own default_topic; "" = the first topic
    language_threshold: float = 0.8  # a conversation's language changes only at this confidence or above (0..1)
    retrain_after_s: float = 2.0  # new agent corrections are trained in after this quiet time (background)
    auto_answer: bool = True  # False: approved canned answers are never sent automatically
    precision_target: float = 0.95  # automatic answers only above the confidence measured this precise on held-back examples
    escalation_max_rate: float = 0.3  # a snippet is switched off when more customers than this escalate after it …
    escalation_min_samples: int = 20  # … once it was sent automatically this often
    auto_wait_s: float = 600.0  # after an automatic answer: a customer who writes within this asks for a person; quiet = answered


@dataclass
class CrmFieldConfig:
    """A value of the CRM's answer shown in the agent's customer panel (docs/crm.md)."""

    key: str  # where it is in the answer: a top-level key, or a dotted path into objects (orders.open)
    label: dict[str, str] = field(default_factory=dict)  # console language (en, de) -> label; missing: en, else the key
    type: str = "text"  # text | link (an http(s) address the agent opens in a new tab)


@dataclass
class CrmRuleConfig:
    """A priority rule: when the answer's ``field`` matches (exactly one of equals / one_of / at_least),
    the conversation is queued with at least ``priority`` (the highest matching rule wins)."""

    field: str  # key or dotted path in the answer, as CrmFieldConfig.key
    priority: int  # 1..100, added to the queue's own priority like any task priority
    equals: str | None = None  # the value, compared as text, ignoring case and surrounding spaces
    one_of: list[str] = dataclasses.field(default_factory=list)  # any of these values (compared as equals); `field` is a name here
    at_least: float | None = None  # a number (or numeric text) at least this


@dataclass
class CrmConfig:
    """CRM lookup (gateway/crm, docs/crm.md): a signed POST with the contact's verified identities when a
    conversation opens; the answer shows in the customer panel and may raise the task's priority."""

    url: str = ""  # the lookup endpoint (http or https); "" = no lookups
    secret: str = ""  # signs every request (X-Omnirelay-Signature); without one no request is sent (${SECRET})
    timeout_s: float = 1.5  # routing waits at most this long for the answer (0.05..10); then routes without it
    answer_timeout_s: float = 10.0  # the lookup gives up after this (timeout_s..60); a later answer still reaches the panel
    cache_ttl_s: float = 300.0  # an answer is reused for the same contact this long (0 = asked every time)
    retry_after_s: float = 30.0  # after a failure the panel shows "CRM unavailable" this long before the next try
    max_bytes: int = 65536  # answers larger than this are refused (at most 1 MiB)
    fields: list[CrmFieldConfig] = field(default_factory=list)  # what the panel shows, in this order
    rules: list[CrmRuleConfig] = field(default_factory=list)  # priority rules


@dataclass
class EventSubscriptionConfig:
    """An event webhook subscription the config file defines (docs/webhooks.md): ensured at every start
    under an id derived from the tenant and the URL, shown in /admin as "from the config file", not
    deletable there. An entry whose ``url`` is empty is off (``${EVENTS_WEBHOOK_URL:-}``)."""

    url: str = ""  # http(s); the operator's own, so the private-target rule does not apply (like crm.url)
    secret: str = ""  # signs every delivery (X-Omnirelay-Signature); at least 16 characters (${SECRET})
    events: list[str] = field(default_factory=lambda: ["*"])  # event types, or ["*"] for all
    retry_window_s: float | None = None  # None: event_webhooks.retry_window_s
    name: str = ""  # shown in /admin


@dataclass
class TenantEventWebhooksConfig:
    """A tenant's config-defined event webhook subscriptions (more are made in /admin)."""

    subscriptions: list[EventSubscriptionConfig] = field(default_factory=list)


@dataclass
class AlertsConfig:
    """Supervisors' alerts (gateway/alerts, docs/alerts.md): each incident posted once to a Slack channel,
    answered in its thread when resolved. Replies there never reach a customer."""

    slack_channel: str = ""  # the Slack channel id (C…) the alerts go to; "" = no alerts
    slack: str = ""  # the tenant's slack channel (config id) to post through; "" = its only one
    check_s: float = 10.0  # how often the figures are checked
    service_level: bool = True  # a queue under its sla_target (with at least min_contacts judged) is an incident
    min_contacts: int = 5  # contacts answered or abandoned in the 15-minute window before the level counts
    longest_wait_s: float = 300.0  # a queue whose longest wait is over this is an incident; 0 = off
    offline_with_work_s: float = 60.0  # an agent offline this long while holding open work is an incident
    resolve_after_s: float = 60.0  # an incident counts as resolved once it has been clear this long
    language: str = ""  # the alerts' language (de | en); "" = the tenant's first language


@dataclass
class TenantConfig:
    id: str
    name: str = ""
    languages: list[str] = field(default_factory=lambda: ["en"])
    topics: dict[str, TopicConfig] = field(default_factory=dict)
    queues: dict[str, QueueConfig] = field(default_factory=dict)
    channels: dict[str, ChannelConfig] = field(default_factory=dict)
    agents: dict[str, AgentConfig] = field(default_factory=dict)
    supervisors: dict[str, SupervisorConfig] = field(default_factory=dict)
    canned: list[CannedConfig] = field(default_factory=list)
    labels: dict[str, LabelConfig] = field(default_factory=dict)  # label id -> its name; agents put these on conversations
    blending: BlendingConfig = field(default_factory=BlendingConfig)
    widget: WidgetConfig = field(default_factory=WidgetConfig)
    hours: HoursConfig | None = None  # business hours; None = always open
    callbacks: CallbacksConfig = field(default_factory=CallbacksConfig)
    disconnect_grace_s: float = 30.0  # agent with no socket this long goes offline
    max_missed_offers: int = 2  # missed offers in a row before the agent is set away
    assist: AssistConfig = field(default_factory=AssistConfig)  # topic classifier, language detection, answer suggestions
    retention_days: int = 0  # messages and attachments older than this are deleted daily (gateway/history/retention.py); 0 = kept
    crm: CrmConfig = field(default_factory=CrmConfig)  # CRM lookup when a conversation opens (docs/crm.md)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)  # supervisors' Slack alerts (docs/alerts.md)
    event_webhooks: TenantEventWebhooksConfig = field(default_factory=TenantEventWebhooksConfig)  # docs/webhooks.md


@dataclass
class LimitsConfig:
    message_chars: int = 4096
    webhook_body_bytes: int = 1024 * 1024
    visitor_messages_per_10s: int = 20  # per-visitor rate limit of every stored or forwarded action
    upload_bytes: int = 10 * 1024 * 1024  # largest file a visitor or agent may upload
    upload_types: list[str] = field(default_factory=lambda: [
        "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain",
    ])  # content types accepted for uploads (checked against the bytes, not only the name)
    media_bytes: int = 50 * 1024 * 1024  # largest customer file fetched from a platform (larger: shown as too large)
    history_page_messages: int = 200  # a history page holds at most this many messages …
    history_page_bytes: int = 256 * 1024  # … and about this many bytes; next_after_seq says where to go on
    conversations_per_address_per_min: int = 10  # new conversations one client address may open per minute
    login_attempts_per_min: int = 10
    login_attempts_per_address_per_min: int = 30  # across all usernames, per client address
    login_attempts_per_account_per_min: int = 30  # per account across all addresses (a guess spread over many)
    login_hash_concurrency: int = 4  # argon2 checks at once per process (64 MiB each); 429 busy beyond
    connections_per_address: int = 50  # concurrent Socket.IO connections per client address per process
    namespace_connect_timeout_s: float = 10.0  # an engine.io session joining no namespace is closed after this


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""  # how browsers reach this gateway; defaults to http://host:port
    secret_key: str = ""  # signs tokens; required (use ${OMNIRELAY_SECRET})
    token_ttl_s: int = 12 * 3600
    trusted_proxies: list[str] = field(default_factory=list)  # addresses/CIDRs whose X-Forwarded-For is believed
    visitor_token_ttl_s: int = 30 * 24 * 3600
    redis_maxmemory: str = "1gb"  # embedded Redis only (e.g. 512mb; 0 = no cap); past it writes are refused, never evicted
    http_timeout_s: float = 15.0  # a request's line and headers, and then its body, must each arrive within this; idle keep-alive closes after it
    shutdown_timeout_s: float = 3.0  # on stop, requests still running get this long before they are cut off
    listen_backlog: int = 4096  # connections the kernel queues before accept; capped by net.core.somaxconn
    media_dir: str = ""  # customer files and uploads; "" = <OMNIRELAY_DATA_DIR>/media (a shared volume with several processes)
    durability: str = "local"  # local | replicated: acks wait for a Redis replica (docs/ha.md); $OMNIRELAY_DURABILITY overrides
    replica_wait_ms: int = 1000  # replicated: an ack waits this long for a replica, then answers not_replicated (retry)
    node_lease_s: float = 20.0  # a gateway process silent this long is dead: others take over its agents' sockets, timers and visitors' tabs (it renews every quarter of it, at most every 5 s)


@dataclass
class HistoryConfig:
    """The history database (gateway/history): PostgreSQL, embedded unless DATABASE_URL is set."""

    evict_closed_after_s: float = 86400.0  # a closed conversation leaves Redis this long after closing, once archived (0 = never)
    batch_size: int = 500  # archive outbox entries written to PostgreSQL in one transaction
    claim_idle_s: float = 2.0  # entries another gateway process took and left this long are taken over (it died; a retried batch is harmless: upserts)
    evict_every_s: float = 60.0  # how often each process looks for closed conversations to evict


@dataclass
class EventWebhooksConfig:
    """Signed outbound event webhooks (gateway/event_webhooks, docs/webhooks.md); subscriptions are made in /admin."""

    allow_private_targets: bool = False  # True: subscriptions may point at private or loopback addresses (tests, receivers inside the network)
    timeout_s: float = 10.0  # one attempt (connect, send, answer) is cut off after this
    retry_window_s: float = 86400.0  # a new subscription's default: a delivery is retried this long, then it becomes a dead letter
    backoff_first_s: float = 5.0  # the first retry waits about this long (with jitter), doubling each time …
    backoff_max_s: float = 3600.0  # … up to this
    max_in_flight: int = 32  # deliveries one gateway process sends at once
    per_subscription: int = 4  # conversations of one subscription sent at once (across all processes)
    claim_idle_s: float = 3.0  # stream entries another gateway process took and left this long are taken over (it died; a fan-out done twice queues nothing twice: deliveries are keyed by event and subscription)
    poll_s: float = 0.5  # how often a process looks for due deliveries (new events wake it at once)
    keep_delivered_s: float = 7 * 86400.0  # a delivered delivery (with its body) is kept this long for inspection
    keep_dead_s: float = 30 * 86400.0  # a dead letter is kept this long for a replay


@dataclass
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    history: HistoryConfig = field(default_factory=HistoryConfig)
    event_webhooks: EventWebhooksConfig = field(default_factory=EventWebhooksConfig)
    tenants: dict[str, TenantConfig] = field(default_factory=dict)
