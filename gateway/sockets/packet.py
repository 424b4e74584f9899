"""The Socket.IO packet class of the gateway: the stock one with a cheaper binary check.

python-socketio asks of every outgoing packet whether it holds bytes; the stock check builds a
list at every level of the payload. This one walks it once and stops at the first answer.
"""

from __future__ import annotations

from typing import Any

from socketio.packet import Packet


class GatewayPacket(Packet):
    @classmethod
    def data_is_binary(cls, data: Any) -> bool:
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, bytes | bytearray):
                return True
            if isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list | tuple):
                stack.extend(item)
        return False
