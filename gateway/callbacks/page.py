"""The customer's callback page behind the signed link: when we call, a select of other times
(grouped by day, in the queue's time zone) and the buttons that move or cancel it. Rendered in the
callback's language; everything that came from a person or the config is escaped."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from gateway.callbacks.records import Callback
from gateway.callbacks.slots import Slot
from gateway.callbacks.texts import when_text
from gateway.texts import in_language

_T = {
    "en": {
        "title": "Your callback", "at": "We will call {phone} on {when}.", "asap": "We will call {phone} as soon as possible.",
        "dialling": "We are calling {phone} right now.", "reached": "We have spoken with you at {phone}.",
        "failed": "We could not reach you at {phone} and will not call again.", "cancelled": "We will not call {phone}: the callback is cancelled.",
        "other": "Another time", "asap_option": "As soon as possible", "move": "Move the call", "cancel": "Cancel the call",
        "no_slots": "There are no other times free at the moment.", "moved": "Done: your callback is moved.",
        "cancelled_now": "Done: your callback is cancelled.", "too_late": "Too late: we are already calling you, or this callback has ended.",
        "slot_full": "This time has just been fully booked; please pick another one.",
        "outside_hours": "We do not call at that time; please pick one of the times offered.",
        "bad_slot": "Please pick one of the times offered.", "forged": "This link is not valid. Please use the link we sent you.",
        "not_found": "We do not know this callback.", "invalid": "Link not valid", "unknown": "Callback not found",
        "days": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), "date": "{day}, {d:%Y-%m-%d}",
        "zone": "Times in {zone}.",
    },
    "de": {
        "title": "Ihr Rückruf", "at": "Wir rufen {phone} am {when} an.", "asap": "Wir rufen {phone} so bald wie möglich an.",
        "dialling": "Wir rufen {phone} gerade an.", "reached": "Wir haben Sie unter {phone} erreicht.",
        "failed": "Wir haben Sie unter {phone} nicht erreicht und rufen nicht mehr an.", "cancelled": "Wir rufen {phone} nicht an: der Rückruf ist storniert.",
        "other": "Andere Zeit", "asap_option": "So bald wie möglich", "move": "Anruf verschieben", "cancel": "Anruf stornieren",
        "no_slots": "Zurzeit sind keine anderen Zeiten frei.", "moved": "Erledigt: Ihr Rückruf ist verschoben.",
        "cancelled_now": "Erledigt: Ihr Rückruf ist storniert.", "too_late": "Zu spät: wir rufen Sie bereits an, oder dieser Rückruf ist beendet.",
        "slot_full": "Diese Zeit ist gerade ausgebucht; bitte wählen Sie eine andere.",
        "outside_hours": "Zu dieser Zeit rufen wir nicht an; bitte wählen Sie eine der angebotenen Zeiten.",
        "bad_slot": "Bitte wählen Sie eine der angebotenen Zeiten.", "forged": "Dieser Link ist nicht gültig. Bitte nutzen Sie den Link, den wir Ihnen geschickt haben.",
        "not_found": "Diesen Rückruf kennen wir nicht.", "invalid": "Link nicht gültig", "unknown": "Rückruf nicht gefunden",
        "days": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"), "date": "{day}, {d:%d.%m.%Y}",
        "zone": "Zeiten in {zone}.",
    },
}


def texts(language: str) -> dict:
    return in_language(_T, language)


def _doc(status: int, title: str, *body: str) -> web.Response:
    doc = ("<!doctype html><html><head><meta charset=utf-8><meta name=viewport content='width=device-width'>"
           f"<meta name=robots content=noindex><title>{html.escape(title)}</title></head>"
           f"<body><main><h1>{html.escape(title)}</h1>{''.join(body)}</main></body></html>")
    # the page's URL carries the link's signature: no referrer, no cache, no framing
    return web.Response(status=status, text=doc, content_type="text/html", headers={
        "Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Frame-Options": "DENY",
        "Content-Security-Policy": "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
    })


def plain(status: int, language: str, title_key: str, text_key: str) -> web.Response:
    t = texts(language)
    return _doc(status, t[title_key], f"<p role=alert>{html.escape(t[text_key])}</p>")


def _state_line(cb: Callback, zone: str) -> str:
    t = texts(cb.language)
    if cb.state == "scheduled" and cb.in_attempt:
        return t["asap"].format(phone=cb.phone)
    if cb.state == "scheduled":
        return t["at"].format(phone=cb.phone, when=when_text(cb.due, zone)) if cb.at else t["asap"].format(phone=cb.phone)
    return t.get(cb.state, t["dialling"]).format(phone=cb.phone)


def _select(cb: Callback, slots: list[Slot], zone: str, asap: bool) -> str:
    t = texts(cb.language)
    tz = ZoneInfo(zone)
    groups: dict[str, list[str]] = {}
    for slot in slots:
        local = datetime.fromtimestamp(slot.start, UTC).astimezone(tz)
        label = t["date"].format(day=t["days"][local.weekday()], d=local)
        chosen = " selected" if cb.slot and int(cb.slot) == int(slot.start) else ""
        groups.setdefault(label, []).append(f"<option value='{int(slot.start)}'{chosen}>{local:%H:%M}</option>")
    options = "".join(f"<optgroup label='{html.escape(day)}'>{''.join(opts)}</optgroup>" for day, opts in groups.items())
    first = f"<option value=asap>{html.escape(t['asap_option'])}</option>" if asap else ""
    return (f"<label for=slot>{html.escape(t['other'])}</label> "
            f"<select id=slot name=slot required>{first}{options}</select>")


def callback_page(cb: Callback, *, tenant: str, sig: str, slots: list[Slot], zone: str, asap: bool,
                  status: int = 200, notice: str = "") -> web.Response:
    """The page of one callback; the form only while it still waits (cancel alone once its attempt is queued)."""
    t = texts(cb.language)
    parts = []
    if notice:
        parts.append(f"<p role=status class=notice>{html.escape(t.get(notice, notice))}</p>")
    parts.append(f"<p class=when>{html.escape(_state_line(cb, zone))}</p>")
    if cb.state == "scheduled":
        hidden = (f"<input type=hidden name=tenant value='{html.escape(tenant, quote=True)}'>"
                  f"<input type=hidden name=sig value='{html.escape(sig, quote=True)}'>")
        action = f"/callbacks/{html.escape(cb.id, quote=True)}"
        if not cb.in_attempt:
            move = (_select(cb, slots, zone, asap) + f" <button type=submit name=action value=move>{html.escape(t['move'])}</button>"
                    if slots or asap else f"<p>{html.escape(t['no_slots'])}</p>")
            parts.append(f"<form method=post action='{action}' class=move>{hidden}{move}"
                         f"<p>{html.escape(t['zone'].format(zone=zone))}</p></form>")
        parts.append(f"<form method=post action='{action}' class=cancel>{hidden}"
                     f"<button type=submit name=action value=cancel>{html.escape(t['cancel'])}</button></form>")
    return _doc(status, t["title"], *parts)
