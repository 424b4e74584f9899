"""Socket.IO room names. Emits address rooms, never sockets, so any process can reach anyone."""


def visitor_room(tenant: str, visitor_id: str) -> str:
    """Every tab of one visitor."""
    return f"visitor:{tenant}:{visitor_id}"


def agent_room(tenant: str, agent_id: str) -> str:
    """Every console socket of one agent."""
    return f"agent:{tenant}:{agent_id}"


def supervisor_room(tenant: str) -> str:
    """Every supervisor dashboard of one tenant."""
    return f"supervisors:{tenant}"


def session_room(tenant: str, session_id: str) -> str:
    """Every socket opened with one login (logout and expiry end them all, on every process)."""
    return f"session:{tenant}:{session_id}"
