// Telling the agent about a new offer: a short chime (Web Audio, so no media file or CSP
// exception is needed) and, while the tab is in the background, a browser notification.
// Both can be muted; the choice is remembered in this browser.

const MUTE_KEY = "omnirelay:agent:muted";
const GESTURES = ["pointerdown", "keydown"] as const;

export class Notifier {
  private audio: AudioContext | null = null;
  muted: boolean;

  constructor() {
    this.muted = localStorage.getItem(MUTE_KEY) === "1";
    // After a reload the console starts from the stored login, with no click to start audio in:
    // the first interaction anywhere (pointer or key) unlocks it, so the next offer is heard.
    for (const type of GESTURES) document.addEventListener(type, this.onGesture, { capture: true, passive: true });
  }

  private readonly onGesture = (): void => {
    this.unlock();
    if (this.audio?.state === "running" || !this.audio) {
      for (const type of GESTURES) document.removeEventListener(type, this.onGesture, { capture: true });
    }
  };

  setMuted(muted: boolean): void {
    this.muted = muted;
    localStorage.setItem(MUTE_KEY, muted ? "1" : "0");
    if (!muted) this.unlock();
  }

  /** Browsers start audio only after a user gesture: call this from a click (e.g. the login). */
  unlock(): void {
    try {
      this.audio ??= new AudioContext();
      // Without a gesture the promise rejects or stays pending; the next gesture tries again.
      if (this.audio.state === "suspended") this.audio.resume().catch(() => undefined);
    } catch {
      this.audio = null;
    }
  }

  get canAskPermission(): boolean {
    return typeof Notification !== "undefined" && Notification.permission === "default";
  }

  async askPermission(): Promise<void> {
    if (this.canAskPermission) await Notification.requestPermission();
  }

  offer(title: string, body: string): void {
    if (this.muted) return;
    this.chime();
    if (document.hidden && typeof Notification !== "undefined" && Notification.permission === "granted") {
      const n = new Notification(title, { body, tag: "omnirelay-offer" });
      n.onclick = () => {
        window.focus();
        n.close();
      };
    }
  }

  private chime(): void {
    const ctx = this.audio;
    if (!ctx || ctx.state !== "running") return;
    const start = ctx.currentTime;
    for (const [i, freq] of [880, 1320].entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      const t = start + i * 0.16;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.25, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + 0.32);
    }
  }
}
