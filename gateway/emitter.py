"""What the domain needs of Socket.IO, as a protocol: emit to rooms (through Redis, any process)
and disconnect a socket. The socket layer provides it; nothing below it depends on Socket.IO."""

from __future__ import annotations

from typing import Any, Protocol


class Emitter(Protocol):
    async def emit(self, event: str, data: Any = None, *, to: str | None = None, room: str | None = None,
                   skip_sid: str | None = None, namespace: str | None = None, **kwargs: Any) -> None: ...

    async def disconnect(self, sid: str, namespace: str | None = None, **kwargs: Any) -> None: ...
