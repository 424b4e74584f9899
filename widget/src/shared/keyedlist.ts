// A list drawn from keyed entries: existing nodes are kept and moved, new ones inserted, gone ones
// removed. Only new nodes enter the DOM, so a live region announces only what is new.

export interface Entry {
  key: string;
  render(): HTMLElement;
  update?(el: HTMLElement): void;
}

export class KeyedList {
  private readonly nodes = new Map<string, HTMLElement>();

  constructor(readonly container: HTMLElement) {}

  /** Make the container show exactly `entries`, in this order. Returns the number of new nodes. */
  sync(entries: Entry[]): number {
    const wanted = new Set(entries.map((e) => e.key));
    for (const [key, el] of this.nodes) {
      if (!wanted.has(key)) {
        el.remove();
        this.nodes.delete(key);
      }
    }
    let added = 0;
    let previous: ChildNode | null = null;
    for (const entry of entries) {
      let el = this.nodes.get(entry.key);
      if (!el) {
        el = entry.render();
        el.dataset.key = entry.key;
        this.nodes.set(entry.key, el);
        added += 1;
      } else if (entry.update) {
        entry.update(el);
      }
      const expected: ChildNode | null = previous ? previous.nextSibling : this.container.firstChild;
      if (expected !== el) this.container.insertBefore(el, expected);
      previous = el;
    }
    return added;
  }

  clear(): void {
    this.nodes.clear();
    this.container.replaceChildren();
  }
}

/** True when a scrollable element shows its bottom (so new content should keep it there). */
export function atBottom(el: HTMLElement, slack = 40): boolean {
  return el.scrollHeight - el.scrollTop - el.clientHeight <= slack;
}
