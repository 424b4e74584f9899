// The dashboard's search over the tenant's history: the console's search panel in a card.

import { h } from "../shared/dom";
import { SearchPanel } from "../agent/search";
import { t } from "./strings";

/** A card with the search form and its results (every conversation of the tenant). */
export function searchCard(token: string): HTMLElement {
  const panel = new SearchPanel(token);
  return h("section", { class: "card search-card", "aria-labelledby": "s-title" }, h("h2", { id: "s-title" }, t.searchConversations), panel.el);
}
