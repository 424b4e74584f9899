// What the widget keeps in localStorage, one namespace per tenant, so a reload or a second tab
// resumes the same visitor. Storage can be unavailable (privacy modes): then nothing persists.

export interface Profile {
  name: string;
  email: string;
  topic: string;
  language: string;
}

export interface PendingMessage {
  client_id: string;
  text: string;
  created: number;
  state: "sending" | "failed";
  error?: string;
}

export class TenantStorage {
  constructor(private readonly tenant: string) {}

  private key(name: string): string {
    return `omnirelay:${this.tenant}:${name}`;
  }

  get<T>(name: string): T | null {
    try {
      const raw = localStorage.getItem(this.key(name));
      return raw === null ? null : (JSON.parse(raw) as T);
    } catch {
      return null;
    }
  }

  set(name: string, value: unknown): void {
    try {
      if (value === null || value === undefined) localStorage.removeItem(this.key(name));
      else localStorage.setItem(this.key(name), JSON.stringify(value));
    } catch {
      /* storage full or blocked: the session simply will not survive a reload */
    }
  }

  get visitorToken(): string | null {
    return this.get<string>("visitor_token");
  }
  set visitorToken(token: string | null) {
    this.set("visitor_token", token);
  }

  get profile(): Profile | null {
    return this.get<Profile>("profile");
  }
  set profile(profile: Profile | null) {
    this.set("profile", profile);
  }

  get outbox(): PendingMessage[] {
    return this.get<PendingMessage[]>("outbox") ?? [];
  }
  set outbox(items: PendingMessage[]) {
    this.set("outbox", items.length ? items : null);
  }

  get open(): boolean {
    return this.get<boolean>("open") === true;
  }
  set open(open: boolean) {
    this.set("open", open || null);
  }

  /** Until when this browser connects long-polling first: its network refused a websocket (epoch ms, 0 = not). */
  get pollingFirstUntil(): number {
    return this.get<number>("polling_first_until") ?? 0;
  }
  set pollingFirstUntil(until: number) {
    this.set("polling_first_until", until || null);
  }

  /** Forget the visitor (after a closed conversation the next chat starts fresh). */
  clearConversation(): void {
    this.outbox = [];
  }
}
