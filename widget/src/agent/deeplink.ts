// The deep link /agent#conversation=<id>: a CRM (or a colleague) opens a conversation in the console.
// Followed once the console knows what the agent holds (after the first `hello`, so after the login
// when one was needed), and again whenever the hash changes. A conversation the agent holds opens;
// one offered to them asks for the accept; one they may only read opens read-only; any other is
// refused with a clear sentence (the gateway decides: GET /api/v1/conversations/{id} answers 404).

import { allMessages } from "./history";
import { tc } from "./crm_strings";
import type { Message } from "../shared/messages";

const ID = /^c_[A-Za-z0-9_-]{1,64}$/;

/** The conversation id the page's hash names (`#conversation=<id>`), or null. */
export function linkedConversation(hash: string = location.hash): string | null {
  const id = new URLSearchParams(hash.replace(/^#/, "")).get("conversation");
  return id && ID.test(id) ? id : null;
}

export interface DeepLinkActions {
  holds(id: string): boolean;
  offered(id: string): boolean;
  open(id: string): void;
  readOnly(id: string, messages: Message[]): void;
  say(text: string): void;
}

export class DeepLink {
  private ready = false;
  private followed: string | null = null;

  constructor(
    private readonly token: string,
    private readonly actions: DeepLinkActions,
  ) {
    window.addEventListener("hashchange", () => {
      this.followed = null;
      void this.follow();
    });
  }

  /** The console has its conversations (first hello): follow the link it was opened with. */
  start(): void {
    this.ready = true;
    void this.follow();
  }

  private async follow(): Promise<void> {
    const id = linkedConversation();
    if (!this.ready || !id || id === this.followed) return;
    this.followed = id;
    if (this.actions.holds(id)) return this.actions.open(id);
    if (this.actions.offered(id)) return this.actions.say(tc.linkOffered);
    try {
      this.actions.readOnly(id, await allMessages(id, this.token));
    } catch {
      this.actions.say(tc.linkRefused);
    }
  }
}
