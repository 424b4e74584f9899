"""The gateway's email side: signed threading tokens, the SMTP listener, the inbound rules
(token → conversation, sender scoping, loops, bounces), the outgoing mail's context and escalation
to email. The MIME itself is the email bridge's (``bridges/email``)."""
