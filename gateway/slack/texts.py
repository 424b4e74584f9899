"""What a Slack user reads from the gateway (ephemeral lines only they see)."""

from __future__ import annotations

NOT_LINKED = ("Your Slack account is not linked to an omnirelay agent, so nothing was sent to the customer. "
              "Link it in the omnirelay console (Slack link), or ask a supervisor to.")
AGENT_DISABLED = "Your omnirelay agent account is disabled, so nothing was sent to the customer."
CLOSED = "This conversation is closed, so nothing was sent to the customer."
HELD_BY_OTHER = ("This conversation is answered by {agent}, so nothing was sent to the customer. "
                 "Ask them or a supervisor to transfer it to you.")
NOT_HELD = "Claim this conversation first: only the agent answering it can do that."
ALREADY_YOURS = "This conversation is already yours."
WINDOW_CLOSED = ("The customer's reply window on their platform has closed, so nothing was sent. "
                 "Continue in the omnirelay console (template or email).")
WRAPUP_REQUIRED = "This queue needs a wrap-up code: close the conversation in the omnirelay console."
NOTE_EMPTY = "A note needs some text after `note:`."
NOTE_NOT_HELD = ("Only the agent answering this conversation can add a note (as in the console), so the note "
                 "was not saved. Claim the conversation first.")
ALERTS_ONLY = ("This channel is for supervisors' alerts only: replies here reach no customer and change nothing. "
               "Answer customers in the threads of the mirrored queues' channels.")
TOO_LONG = "Your reply is longer than {limit} characters, so nothing was sent to the customer."
EDIT_TOO_LATE = "The conversation is closed, so your edit did not reach the customer."
CORRECTION = "Correction: {text}"
WITHDRAWN = "Please disregard my previous message."
ACD = {
    "over_capacity": "You have no free slot for another conversation of this kind, so it was not assigned to you.",
    "agent_unavailable": "You are offline in omnirelay: go available in the console to take conversations.",
    "invalid_state": "This conversation cannot be claimed now (it was answered or closed meanwhile).",
    "unknown_agent": "Your omnirelay agent is not known to routing.",
    "unknown_task": "This conversation is not known to routing any more.",
}
ACD_OTHER = "Routing refused this, so nothing was sent to the customer."
