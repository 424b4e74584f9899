// Entry of widget.js: <script src="https://HOST/widget.js" data-tenant="demo" async></script>.
// The script tag must be read now, while this script runs; everything else can wait for the DOM.

import { Widget } from "./app";
import { findScript } from "./origin";

declare global {
  interface Window {
    omnirelay?: { open(): void; close(): void; toggle(): void };
  }
}

const info = findScript();

function boot(): void {
  if (document.getElementById("omnirelay-widget")) return; // embedded twice
  const widget = new Widget(info);
  widget.mount();
  window.omnirelay = { open: () => widget.open(), close: () => widget.close(), toggle: () => widget.toggle() };
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot, { once: true });
else boot();
