// Channel icons (inline SVG, decorative: the channel name is always next to them or in a label).

import { svg } from "./dom";
import { sharedTexts } from "./strings";

const PATHS: Record<string, string> = {
  widget: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z",
  chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z",
  telegram: "M21.5 3.5 2.8 10.7c-1 .4-1 1.8.1 2.1l4.6 1.5 1.8 5.6c.3.9 1.4 1.1 2 .4l2.6-2.6 4.7 3.5c.8.6 1.9.1 2.1-.9L23 5c.3-1.1-.6-1.9-1.5-1.5zM9.6 14.6l-.6 3.6-1.4-4.4 10.3-6.8z",
  whatsapp: "M12 2a10 10 0 0 0-8.6 15.1L2 22l5-1.3A10 10 0 1 0 12 2zm5.3 13.9c-.2.6-1.3 1.2-1.8 1.2-.5.1-1 .2-3.3-.7-2.8-1.1-4.6-4-4.7-4.2-.1-.2-1.1-1.5-1.1-2.9s.7-2 1-2.3c.2-.3.5-.3.7-.3h.5c.2 0 .4 0 .6.5l.9 2.1c.1.2.1.4 0 .6l-.4.6-.4.5c-.1.1-.3.3-.1.6.2.3.7 1.2 1.6 2 1.1 1 2 1.3 2.3 1.4.3.1.5.1.6-.1l.9-1c.2-.3.4-.2.7-.1l2 1c.3.1.5.2.5.3.1.1.1.6-.1 1.2z",
  messenger: "M12 2C6.5 2 2 6.1 2 11.3c0 2.9 1.4 5.5 3.7 7.2V22l3.4-1.9c.9.3 1.9.4 2.9.4 5.5 0 10-4.1 10-9.2S17.5 2 12 2zm1 12.4-2.6-2.7-5 2.7 5.5-5.8 2.6 2.7 5-2.7z",
  slack: "M9 3a2 2 0 0 0 0 4h2V5a2 2 0 0 0-2-2zm0 6H4a2 2 0 0 0 0 4h5a2 2 0 0 0 0-4zm12 2a2 2 0 0 0-4 0v2h2a2 2 0 0 0 2-2zm-6 0V4a2 2 0 0 0-4 0v7a2 2 0 0 0 4 0zm0 10a2 2 0 0 0 0-4h-2v2a2 2 0 0 0 2 2zm0-6h5a2 2 0 0 0 0-4h-5a2 2 0 0 0 0 4zM3 13a2 2 0 0 0 4 0v-2H5a2 2 0 0 0-2 2zm6 0v7a2 2 0 0 0 4 0v-7a2 2 0 0 0-4 0z",
  email: "M3 5h18a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zm9 7.2L4 7.1V8l8 5 8-5v-.9z",
  voice: "M6.6 10.8a15 15 0 0 0 6.6 6.6l2.2-2.2c.3-.3.7-.4 1-.2 1.1.4 2.3.6 3.6.6.6 0 1 .4 1 1V20c0 .6-.4 1-1 1A17 17 0 0 1 3 4c0-.6.4-1 1-1h3.5c.6 0 1 .4 1 1 0 1.3.2 2.5.6 3.6.1.3 0 .7-.2 1z",
  messaging: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z",
};

export function channelName(type: string): string {
  return sharedTexts().channels[type] ?? type;
}

/** An icon for a channel type; labelled when `labelled`, else hidden from screen readers. */
export function channelIcon(type: string, labelled = false): SVGElement {
  const attrs: Record<string, string> = { viewBox: "0 0 24 24", class: `ch-icon ch-${type}`, "data-channel": type };
  if (labelled) {
    attrs.role = "img";
    attrs["aria-label"] = channelName(type);
  } else {
    attrs["aria-hidden"] = "true";
  }
  return svg("svg", attrs, labelled ? svg("title", null, channelName(type)) : null, svg("path", { d: PATHS[type] ?? PATHS.chat }));
}
