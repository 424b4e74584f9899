// Links in what people typed, made clickable without ever parsing HTML: the text is split into
// text nodes and <a> elements built with the DOM. Only http(s) and mailto become links; anything
// else ("javascript:", "data:", …) stays text. Line breaks stay in the text nodes (pre-wrap).

import { h } from "./dom";

// A URL runs to the next space or angle bracket/quote; trailing punctuation belongs to the sentence.
const FIND = /\b(?:https?:\/\/|mailto:)[^\s<>"']+/gi;
const TRAILING = /[.,;:!?)\]}]+$/;

/** The link's address if it is one we open (http, https, mailto), else null. */
export function safeHref(raw: string): string | null {
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" || url.protocol === "mailto:" ? url.href : null;
  } catch {
    return null;
  }
}

/** ``text`` as nodes: text nodes and safe links (target=_blank, rel=noopener noreferrer). */
export function linkified(text: string): Node[] {
  const out: Node[] = [];
  let at = 0;
  for (const match of text.matchAll(FIND)) {
    const start = match.index ?? 0;
    const url = match[0].replace(TRAILING, "");
    const href = safeHref(url);
    if (!href) continue;
    if (start > at) out.push(document.createTextNode(text.slice(at, start)));
    out.push(h("a", { href, target: "_blank", rel: "noopener noreferrer", class: "link" }, url));
    at = start + url.length;
  }
  if (at < text.length) out.push(document.createTextNode(text.slice(at)));
  return out;
}
