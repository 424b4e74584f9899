// After the browser was offline, the old transport may look connected while it is dead: start a
// fresh connection when the network is back instead of waiting for the ping timeout. The `hello`
// or `session` the server sends on connect then triggers the resync by seq.

import type { Socket } from "socket.io-client";

export function reconnectWhenOnline(socket: () => Socket | null, offline: () => void = () => undefined): void {
  let wasOffline = false;
  window.addEventListener("offline", () => {
    wasOffline = true;
    offline();
  });
  window.addEventListener("online", () => {
    const s = socket();
    if (!s || (!wasOffline && s.connected)) return;
    wasOffline = false;
    s.disconnect().connect();
  });
}
