"""Callbacks on the messengers: the agent offers one, the customer confirms it with a button, a
shared contact, a typed number or a short yes; a reply (or the button sent with the confirmation)
cancels it again.

The offer lives in Redis (one per conversation, 24 h), so whichever gateway process takes the answer
decides it; it is claimed with GETDEL, so two taps (or two processes) create one callback. Only
while an offer is pending (or a callback is open) is a message read as an answer, and only exact
short forms: anything else reaches the agent as usual and leaves the offer pending.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import asdict, dataclass

from acd import replies
from bridges.base import Button
from bridges.events import Choice, Contact, Event, Message
from gateway.callbacks.figures import tenant_zone
from gateway.callbacks.numbers import normalise
from gateway.callbacks.records import end_callback, get_callback, open_callback
from gateway.callbacks.requests import announce, request_callback
from gateway.conversations.delivery import fan_out
from gateway.conversations.to_messenger import send_to_messenger
from gateway.errors import ClientError
from gateway.keys import TenantKeys
from gateway.services import Services
from gateway.store.conversations import Conversation, get_conversation
from gateway.store.messages import post_message
from gateway.texts import in_language

OFFER_TTL_S = 24 * 3600
MESSENGERS = ("telegram", "whatsapp", "messenger")
ASKS_PHONE = ("telegram", "messenger")  # platforms with a button that shares the customer's own number
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{4,22}[0-9]$")

_TEXTS = {
    "en": {
        "offer": "Would you like us to call you back? We would call you on {phone}.",
        "offer_share": "Would you like us to call you back? Share your phone number with the button below, "
                       "or type it with the country code.",
        "offer_type": "Would you like us to call you back? Type your phone number with the country code.",
        "yes": "Yes, call me", "other": "Another number", "no": "No, thanks", "phone": "Share my number",
        "ask": "Please type the number we should call, with the country code (e.g. +49 …).",
        "declined": "All right, no callback. You can keep writing here.",
        "bad_phone": "This is not a phone number we can call. Please send it again, with the country code.",
        "phone_not_allowed": "We can only call numbers in {countries}. Please send another number.",
        "callback_open": "A callback is already scheduled for you; reply \"cancel\" to cancel it first.",
        "too_late": "Too late to cancel: we are calling you right now.",
    },
    "de": {
        "offer": "Möchten Sie, dass wir Sie zurückrufen? Wir würden Sie unter {phone} anrufen.",
        "offer_share": "Möchten Sie, dass wir Sie zurückrufen? Teilen Sie uns Ihre Nummer mit der Schaltfläche "
                       "unten mit oder schreiben Sie sie mit Ländervorwahl.",
        "offer_type": "Möchten Sie, dass wir Sie zurückrufen? Schreiben Sie uns Ihre Nummer mit Ländervorwahl.",
        "yes": "Ja, bitte anrufen", "other": "Andere Nummer", "no": "Nein, danke", "phone": "Nummer teilen",
        "ask": "Bitte schreiben Sie uns die Nummer, unter der wir Sie anrufen sollen, mit Ländervorwahl (z. B. +49 …).",
        "declined": "In Ordnung, kein Rückruf. Sie können hier weiter schreiben.",
        "bad_phone": "Unter dieser Nummer können wir nicht anrufen. Bitte senden Sie sie noch einmal, mit Ländervorwahl.",
        "phone_not_allowed": "Wir rufen nur Nummern in {countries} an. Bitte senden Sie eine andere Nummer.",
        "callback_open": "Für Sie ist schon ein Rückruf geplant; antworten Sie „stornieren“, um ihn zuerst zu stornieren.",
        "too_late": "Zu spät zum Stornieren: Wir rufen Sie gerade an.",
    },
    "fr": {
        "offer": "Souhaitez-vous que nous vous rappelions ? Nous vous appellerions au {phone}.",
        "offer_share": "Souhaitez-vous que nous vous rappelions ? Partagez votre numéro avec le bouton ci-dessous, "
                       "ou écrivez-le avec l'indicatif du pays.",
        "offer_type": "Souhaitez-vous que nous vous rappelions ? Écrivez votre numéro avec l'indicatif du pays.",
        "yes": "Oui, appelez-moi", "other": "Autre numéro", "no": "Non, merci", "phone": "Partager mon numéro",
        "ask": "Écrivez le numéro auquel nous devons vous appeler, avec l'indicatif du pays (p. ex. +33 …).",
        "declined": "Très bien, pas de rappel. Vous pouvez continuer à écrire ici.",
        "bad_phone": "Nous ne pouvons pas appeler ce numéro. Envoyez-le à nouveau, avec l'indicatif du pays.",
        "phone_not_allowed": "Nous n'appelons que des numéros en {countries}. Envoyez un autre numéro.",
        "callback_open": "Un rappel est déjà prévu pour vous ; répondez « annuler » pour l'annuler d'abord.",
        "too_late": "Trop tard pour annuler : nous vous appelons en ce moment.",
    },
}
# What counts as a typed answer: the whole message, in the conversation's language or in English.
_YES = {"en": {"yes", "yes please", "y", "ok", "okay", "sure", "please do", "call me", "yes call me"},
        "de": {"ja", "ja bitte", "ja gerne", "gerne", "jawohl", "ok", "okay", "bitte anrufen", "ja bitte anrufen"},
        "fr": {"oui", "oui merci", "oui svp", "d'accord", "ok", "appelez-moi", "oui appelez-moi"}}
_CANCEL = {"en": {"cancel", "cancel callback", "cancel the callback", "stop callback"},
           "de": {"stornieren", "storno", "abbrechen", "rückruf stornieren", "rückruf abbrechen"},
           "fr": {"annuler", "annuler le rappel", "annuler rappel"}}


def _t(language: str, key: str, **values: str) -> str:
    return in_language(_TEXTS, language)[key].format(**values)


def _forms(table: dict[str, set[str]], language: str) -> set[str]:
    return table.get(language, set()) | table["en"]


def _clean(text: str) -> str:
    """A short reply as compared: lower case, single spaces, without the punctuation around it."""
    return " ".join(text.lower().replace(",", " ").split()).strip(" .!?")


@dataclass(frozen=True, slots=True)
class Offer:
    id: str
    conversation_id: str
    phone: str  # the number proposed (E.164), "" when the customer is to give one
    language: str
    choices: tuple[Button, ...]
    created_at: float

    def dumps(self) -> str:
        return json.dumps({**asdict(self), "choices": [asdict(c) for c in self.choices]})

    @classmethod
    def loads(cls, raw: str) -> Offer:
        d = json.loads(raw)
        return cls(**{**d, "choices": tuple(Button(**c) for c in d["choices"])})


# --- the agent offers ---------------------------------------------------------------------------------


async def offer_callback(ctx: Services, keys: TenantKeys, conv: Conversation, phone: object = None) -> dict:
    """Send the customer the offer with its buttons (the agent's ``escalate {to: "callback_offer"}``);
    ``phone`` proposes a number (on WhatsApp the customer's own one is proposed when none is given)."""
    if conv.channel_type not in MESSENGERS or not conv.external_id:
        raise ClientError("bad_request", "A callback can be offered only in a Telegram, WhatsApp or Messenger conversation.")
    if phone is not None and not isinstance(phone, str):
        raise ClientError("bad_phone", "'phone' must be a phone number")
    tenant = ctx.config.tenants[keys.tenant]
    if await open_callback(ctx.redis, keys, conv.contact_id, conv.queue) is not None:
        raise ClientError("callback_open", "This customer already has a callback scheduled.", 409)
    proposed, note = "", ""
    if phone and phone.strip():
        proposed = normalise(phone.strip()[:40], tenant.callbacks)  # the agent's typo: a clear error to the agent
    elif conv.channel_type == "whatsapp":
        known = replies.maybe_text(await ctx.redis.hget(keys.contact(conv.contact_id), "phone")) or ""
        try:
            proposed = normalise(_international(known), tenant.callbacks) if known else ""
        except ClientError as err:  # e.g. a country we do not call: the customer is asked for another
            note = f"The customer's WhatsApp number is not proposed: {err.message}"
    lang = conv.language
    kinds: tuple[str, ...]
    if proposed:
        text, kinds = _t(lang, "offer", phone=proposed), ("yes", "other", "no")
    elif conv.channel_type in ASKS_PHONE:
        text, kinds = _t(lang, "offer_share"), ("phone", "no")
    else:
        text, kinds = _t(lang, "offer_type"), ("no",)
    offer_id = secrets.token_hex(6)
    choices = tuple(Button(f"cb:{k}:{offer_id}", _t(lang, k), "phone" if k == "phone" else "reply") for k in kinds)
    offer = Offer(offer_id, conv.id, proposed, lang, choices, time.time())
    await ctx.redis.set(keys.callback_offer(conv.id), offer.dumps(), ex=OFFER_TTL_S)
    await _tell(ctx, keys, conv, text, f"cb-offer:{offer_id}", choices, extra={"callback_offer": {
        "id": offer_id, "phone": proposed or None, "expires_in_s": OFFER_TTL_S}})
    return {"offer": {"id": offer_id, "phone": proposed or None, "expires_in_s": OFFER_TTL_S},
            **({"note": note} if note else {})}


# --- the customer answers -----------------------------------------------------------------------------


async def callback_answer(ctx: Services, keys: TenantKeys, conversation_id: str, event: Event) -> bool:
    """Read a customer's event (already stored in the conversation) as an answer to a pending offer,
    or as a cancel of their open callback; True when it was one. Safe to call again for the same event."""
    if not isinstance(event, Message | Choice | Contact):
        return False
    conv = await get_conversation(ctx.redis, keys, conversation_id)
    if conv is None or conv.channel_type not in MESSENGERS:
        return False
    raw = replies.maybe_text(await ctx.redis.get(keys.callback_offer(conv.id)))
    if raw and await _answer_offer(ctx, keys, conv, Offer.loads(raw), event):
        return True
    return await _cancel_by_reply(ctx, keys, conv, event)


def _international(number: str) -> str:
    """A number as the platforms give it (Telegram's contact, WhatsApp's wa_id: digits without the
    "+") made readable as international; a national form (leading 0) is left for the default region."""
    digits = number.strip()
    return digits if digits.startswith(("+", "0")) or not digits.isdigit() else f"+{digits}"


def _picked(offer: Offer, event: Message | Choice | Contact) -> Button | None:
    """The offer's button the event stands for: its value (a tap), its label typed or sent by a reply
    keyboard, or its number in the numbered-text form."""
    if isinstance(event, Choice):
        return next((c for c in offer.choices if c.value == event.value), None)
    if isinstance(event, Message):
        said = _clean(event.text)
        for i, c in enumerate(offer.choices, 1):
            if c.kind != "phone" and said in (_clean(c.label), str(i)):
                return c
    return None


async def _answer_offer(ctx: Services, keys: TenantKeys, conv: Conversation, offer: Offer,
                        event: Message | Choice | Contact) -> bool:
    lang, picked, number = offer.language, _picked(offer, event), ""
    kind = picked.value.split(":")[1] if picked else ""
    if isinstance(event, Contact):
        number = _international(event.phone)
    elif isinstance(event, Choice) and picked is None and _PHONE.match(event.value.strip()):
        number = _international(event.value)  # Messenger's user_phone_number quick reply: the number itself
    elif isinstance(event, Message) and picked is None:
        if _clean(event.text) in _forms(_YES, lang):
            kind = "yes"
        elif _PHONE.match(event.text.strip()) and sum(ch.isdigit() for ch in event.text) >= 6:
            number = event.text.strip()
    if kind == "yes":
        number = offer.phone
    if kind in ("yes", "other", "phone") and not number:
        await _tell(ctx, keys, conv, _t(lang, "ask"), f"cb-ask:{event.message_id}")
        return True
    if kind == "no":
        if await ctx.redis.getdel(keys.callback_offer(conv.id)) is not None:
            await _tell(ctx, keys, conv, _t(lang, "declined"), f"cb-declined:{offer.id}")
        return True
    if not number:
        return False  # not an answer: the agent reads it, the offer stays
    tenant = ctx.config.tenants[keys.tenant]
    try:
        phone = normalise(number[:40], tenant.callbacks)
    except ClientError as err:
        countries = ", ".join(sorted(c.upper() for c in tenant.callbacks.allowed_countries))
        await _tell(ctx, keys, conv, _t(lang, err.code if err.code == "phone_not_allowed" else "bad_phone",
                                        countries=countries), f"cb-ask:{event.message_id}")
        return True
    if await ctx.redis.getdel(keys.callback_offer(conv.id)) is None:
        return True  # another delivery (a second tap, another process) took this offer
    try:
        await request_callback(ctx, keys, conv, {"phone": phone, "at": ""}, by="agent")
    except ClientError as err:
        await _tell(ctx, keys, conv, _t(lang, "callback_open") if err.code == "callback_open" else err.message,
                    f"cb-refused:{event.message_id}")
        return True
    return True  # the confirmation (with its cancel button) reached the messenger with the announce


async def _cancel_by_reply(ctx: Services, keys: TenantKeys, conv: Conversation, event: Message | Choice | Contact) -> bool:
    """"cancel" (in the conversation's language or English) or the cancel button: the open callback
    is cancelled while it is only scheduled; while it is being dialled the customer hears it is too late."""
    button = isinstance(event, Choice) and event.value.startswith("cb:cancel:")
    typed = isinstance(event, Message) and _clean(event.text) in _forms(_CANCEL, conv.language)
    if not (button or typed):
        return False
    cb = await open_callback(ctx.redis, keys, conv.contact_id, conv.queue)
    if button:
        named = await get_callback(ctx.redis, keys, event.value.split(":", 2)[2])  # type: ignore[union-attr]
        if named is None or named.contact_id != conv.contact_id:
            return False
        cb = named
    if cb is None:
        return False  # nothing to cancel: an ordinary message for the agent
    ended = await end_callback(ctx.redis, keys, cb, "cancelled", only_from=("scheduled",),
                               zone=tenant_zone(ctx.config.tenants[keys.tenant]))
    if ended is None:
        if cb.state == "dialling" or (await get_callback(ctx.redis, keys, cb.id) or cb).state == "dialling":
            await _tell(ctx, keys, conv, _t(conv.language, "too_late"), f"cb-late:{event.message_id}")
        return True  # already ended (a second tap): nothing more
    if ended.in_attempt:  # its voice task still waits for an agent: out of the queue
        await ctx.router.close(keys.tenant, ended.task_id, "cancelled")
    line = await announce(ctx, keys, ended, scheduled=False)  # sent to the callback's conversation
    if line.conversation_id != conv.id:  # another conversation of this customer: they hear it here too
        await _tell(ctx, keys, conv, line.text, f"cb-cancelled:{ended.id}")
    return True


# --- what the customer reads ----------------------------------------------------------------------------


async def _tell(ctx: Services, keys: TenantKeys, conv: Conversation, text: str, client_id: str,
                choices: tuple[Button, ...] = (), extra: dict | None = None) -> None:
    """Post a line into the conversation (the agent sees it) and send it to the customer's messenger;
    its client id makes a repeat store and send nothing new."""
    posted = await post_message(ctx.redis, keys, conv.id, author_kind="system", author_name="omnirelay",
                                text=text[: ctx.config.limits.message_chars], client_id=client_id,
                                extra=extra, allow_closed=True)
    if posted.message.duplicate:
        return
    await fan_out(ctx, keys.tenant, posted)
    await send_to_messenger(ctx, conv, posted.message, choices)
