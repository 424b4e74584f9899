"""The gateway's adapter to the ACD: typed service calls (``service``), effects turned into what
people see (``effects``), console payloads (``views``) and the periodic loops (``loops``)."""

from gateway.routing.service import Router

__all__ = ["Router"]
