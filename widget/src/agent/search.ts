// Search over the history (GET /api/v1/search): a form, the results with their highlighted
// snippet, more pages on demand; a result opens the conversation read-only in the transcript
// dialog. The server returns snippets as text parts, matches flagged: they become <mark>
// elements holding text nodes, so nothing a customer wrote is ever parsed as HTML.
// Used by the agent console (a search box in the top bar) and the supervisor dashboard.

import { api, ApiError } from "../shared/api";
import { h, replace, setText } from "../shared/dom";
import { dateTime } from "../shared/format";
import { channelIcon, channelName } from "../shared/icons";
import { transcriptDialog } from "./dialogs";
import { allMessages } from "./history";
import { t, word } from "./strings";

export interface SnippetPart {
  text: string;
  match: boolean;
}

export interface SearchResult {
  id: string;
  channel: string;
  channel_type: string;
  queue: string;
  state: string;
  agent_id: string;
  created_at: number | null;
  closed_at: number | null;
  contact: { id: string; name: string; email: string; phone: string };
  snippet: string;
  snippet_parts: SnippetPart[];
}

interface SearchPage {
  results: SearchResult[];
  next: string | null;
}

const FIELDS: [name: string, type: string][] = [
  ["q", "search"],
  ["contact", "text"],
  ["channel", "text"],
  ["queue", "text"],
  ["agent", "text"],
  ["wrapup_code", "text"],
  ["from", "date"],
  ["to", "date"],
];

/** The snippet as text nodes, its matches in <mark>. */
export function snippetView(parts: SnippetPart[]): HTMLElement {
  return h("p", { class: "search-snippet" }, parts.map((p) => (p.match ? h("mark", null, p.text) : p.text)));
}

export class SearchPanel {
  readonly el: HTMLElement;
  private readonly form: HTMLFormElement;
  private readonly status = h("p", { class: "search-status muted", role: "status", "aria-live": "polite" });
  private readonly list = h("ul", { class: "search-results", role: "list" });
  private readonly more = h("button", { class: "btn small", type: "button", hidden: true, "data-action": "search-more" }, t.moreResults);
  private next: string | null = null;
  private params = new URLSearchParams();
  private generation = 0;

  constructor(
    private readonly token: string,
    options: { filters?: boolean; initial?: string } = {},
  ) {
    const fields = FIELDS.filter(([name]) => options.filters !== false || name === "q");
    this.form = h(
      "form",
      { class: "search-form", role: "search" },
      fields.map(([name, type]) =>
        h(
          "label",
          { class: `search-field search-field-${name}` },
          h("span", null, t.searchFields[name]),
          h("input", { name, type, value: name === "q" ? options.initial ?? "" : "", maxlength: 200, autocomplete: "off" }),
        ),
      ),
      h("button", { class: "btn primary", type: "submit" }, t.search),
    );
    this.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      void this.run();
    });
    this.more.addEventListener("click", () => void this.page());
    this.el = h("div", { class: "search-panel" }, this.form, this.status, this.list, this.more);
  }

  focus(): void {
    this.form.querySelector<HTMLInputElement>("input[name=q]")?.focus();
  }

  /** Search with what the form holds (first page). */
  async run(): Promise<void> {
    this.params = new URLSearchParams();
    for (const input of Array.from(this.form.querySelectorAll<HTMLInputElement>("input"))) {
      if (input.value.trim()) this.params.set(input.name, input.value.trim());
    }
    replace(this.list);
    this.next = null;
    await this.page(true);
  }

  private async page(first = false): Promise<void> {
    const generation = first ? ++this.generation : this.generation;
    const params = new URLSearchParams(this.params);
    if (!first && this.next) params.set("cursor", this.next);
    setText(this.status, t.searching);
    this.more.hidden = true;
    try {
      const page = await api<SearchPage>(`/api/v1/search?${params}`, { token: this.token });
      if (generation !== this.generation) return;
      this.list.append(...page.results.map((r) => this.item(r)));
      this.next = page.next;
      this.more.hidden = !page.next;
      const shown = this.list.children.length;
      setText(this.status, shown ? t.found(shown, !!page.next) : t.nothingFound);
    } catch (err) {
      if (generation !== this.generation) return;
      setText(this.status, err instanceof ApiError && err.status !== 500 && t.lang === "en" ? err.message : t.searchFailed);
    }
  }

  private item(r: SearchResult): HTMLElement {
    const type = r.channel_type || r.channel;
    const when = r.created_at ? dateTime(r.created_at, t.lang) : "";
    const who = r.contact.name || r.contact.email || r.contact.phone || t.unknownCustomer;
    const button = h(
      "button",
      { type: "button", class: "search-hit", "data-conversation-id": r.id },
      h("span", { class: "search-head" }, channelIcon(type, true), h("strong", { class: "search-contact" }, who), h("span", { class: "muted" }, ` · ${channelName(type)}`)),
      h("span", { class: "muted search-meta" }, [when, r.queue, r.agent_id, word(t.convStates, r.state)].filter(Boolean).join(" · ")),
      r.snippet_parts.length ? snippetView(r.snippet_parts) : null,
    );
    button.addEventListener("click", async () => {
      const title = `${who} · ${channelName(type)} · ${when}`;
      try {
        transcriptDialog(title, await allMessages(r.id, this.token));
      } catch (err) {
        transcriptDialog(title, [], err instanceof ApiError && t.lang === "en" ? err.message : t.conversationNotLoaded);
      }
    });
    return h("li", null, button);
  }
}

/** The agent console's search box: submitting it opens the search (with every filter) in a dialog. */
export function searchBox(token: string): HTMLElement {
  const input = h("input", { type: "search", name: "q", placeholder: t.searchConversations, "aria-label": t.searchConversations, maxlength: 200 });
  const form = h("form", { class: "search-box", role: "search" }, input);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const panel = new SearchPanel(token, { initial: input.value.trim() });
    const dialog = h(
      "dialog",
      { class: "search-dialog", "aria-labelledby": "search-title" },
      h(
        "div",
        { class: "search-dialog-body" },
        h("h2", { id: "search-title" }, t.searchConversations),
        panel.el,
        h("div", { class: "row" }, h("button", { class: "btn", type: "button", onclick: () => dialog.close() }, t.close)),
      ),
    );
    dialog.addEventListener("close", () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
    panel.focus();
    void panel.run();
  });
  return form;
}
