"""What an alert says, in the tenant's first language (German or English)."""

from __future__ import annotations

from gateway.alerts.conditions import CALLBACK, HEALTH, OFFLINE, SLA, WAIT, Incident
from gateway.texts import in_language

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        SLA: ":warning: Service level of queue *{subject}* is {level:.0%}, under its target of {target:.0%} "
             "({contacts} contacts in the last 15 minutes).",
        WAIT: ":hourglass: A customer in queue *{subject}* has waited {wait}, longer than {threshold} "
              "({waiting} waiting).",
        HEALTH: ":red_circle: Channel *{subject}* is not working: {state}.",
        "auth_failed": "the platform refuses our credentials (a token expired or was revoked?)",
        "transient_error": "the platform is slow or cannot be reached",
        OFFLINE: ":bust_in_silhouette: Agent *{subject}* is offline with {open_work} open conversation(s).",
        CALLBACK: ":telephone_receiver: A callback in queue *{subject}* to {phone} ran out of attempts "
                  "({attempts}); nobody has followed up yet.",
        "resolved": ":white_check_mark: Resolved after {duration}.",
        "dashboard": "Open the dashboard",
    },
    "de": {
        SLA: ":warning: Servicelevel der Queue *{subject}* liegt bei {level:.0%}, unter dem Ziel von {target:.0%} "
             "({contacts} Kontakte in den letzten 15 Minuten).",
        WAIT: ":hourglass: Ein Kunde in der Queue *{subject}* wartet seit {wait}, länger als {threshold} "
              "({waiting} wartend).",
        HEALTH: ":red_circle: Kanal *{subject}* funktioniert nicht: {state}.",
        "auth_failed": "die Plattform lehnt unsere Zugangsdaten ab (Token abgelaufen oder widerrufen?)",
        "transient_error": "die Plattform ist langsam oder nicht erreichbar",
        OFFLINE: ":bust_in_silhouette: Agent *{subject}* ist offline und hat {open_work} offene Konversation(en).",
        CALLBACK: ":telephone_receiver: Ein Rückruf in der Queue *{subject}* an {phone} hat alle Versuche "
                  "aufgebraucht ({attempts}); niemand hat sich bisher gekümmert.",
        "resolved": ":white_check_mark: Behoben nach {duration}.",
        "dashboard": "Dashboard öffnen",
    },
}


def duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``2 h 5 min``."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60} min"


def alert_text(incident: Incident, language: str | None) -> str:
    table = in_language(_TEXTS, language)
    f = dict(incident.figures)
    if incident.kind == WAIT:
        f["wait"], f["threshold"] = duration(f.pop("wait_s")), duration(f.pop("threshold_s"))
    if incident.kind == HEALTH:  # the run-time state in words (an unknown one as it is)
        f["state"] = table.get(str(f["state"]), str(f["state"]))
    # what the platform or a person typed (a channel id, a queue name) is shown as text, never as mark-up
    return table[incident.kind].format(subject=plain(incident.subject), **{k: plain(v) if isinstance(v, str) else v
                                                                          for k, v in f.items()})


def resolved_text(seconds: float, language: str | None) -> str:
    return in_language(_TEXTS, language)["resolved"].format(duration=duration(seconds))


def dashboard_label(language: str | None) -> str:
    return in_language(_TEXTS, language)["dashboard"]


def plain(text: str) -> str:
    """Slack mrkdwn's control characters escaped (&, <, >), and the emphasis marks taken out."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("*", "").replace("_", " ")
