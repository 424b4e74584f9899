"""The domain of a conversation, used by the socket namespaces, the REST API, webhooks and loops alike:
a customer wrote (``inbound``), delivery to the people in it (``delivery``), closing it (``closing``),
and who may see or act on it (``access``)."""
