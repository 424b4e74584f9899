// Entry of the agent console (/agent): login, then offers, conversations, the open one and the
// customer panel, all fed by the /agent socket.

import { api } from "../shared/api";
import { h, replace, setText } from "../shared/dom";
import { forgetLogin, loginForm, logout, storedLogin, type Login } from "../shared/session";
import type { UploadLimits } from "../shared/upload";
import { CallbackList } from "./callbacks";
import { AgentConnection } from "./connection";
import { ConversationList } from "./conversations";
import { ConversationView } from "./conversation";
import { CustomerPanel } from "./customer";
import { closeDialog, escalateDialog, transferDialog } from "./dialogs";
import { isEmail } from "./email_conversation";
import { errorSentence } from "./errors";
import { Notifier } from "./notify";
import { OfferList } from "./offers";
import { searchBox } from "./search";
import { installShortcuts } from "./shortcuts";
import { StateSwitch } from "./state";
import type { AgentState, Canned, Conversation, Directory } from "./types";

const ROLE = "agent";
const root = document.getElementById("app") ?? document.body;
const notifier = new Notifier();


async function start(notice = ""): Promise<void> {
  const login = storedLogin(ROLE) ?? (await loginForm(root, ROLE, "Agent console", notice));
  notifier.unlock();
  runConsole(login);
}

function runConsole(login: Login): void {
  let canned: Canned[] = [];
  let directory: Directory = { queues: [], agents: [], wrapup_codes: [] };
  // Topic labels come from the tenant's public widget config (English labels in the console).
  const topicNames: Record<string, string> = {};
  const topicName = (id: string) => topicNames[id] ?? id;
  // The gateway's message length limit, from the same public config (its default until loaded).
  let messageChars = 4096;
  // What the gateway takes as files (from the same config; until then the server decides alone).
  const uploadLimits: UploadLimits = { bytes: 0, types: [] };
  const toastEl = h("div", { class: "toast", role: "status", "aria-live": "polite" });
  let toastTimer: ReturnType<typeof setTimeout> | undefined;
  const toast = (text: string) => {
    setText(toastEl, text);
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => setText(toastEl, null), 5000);
  };

  const loadDirectory = () =>
    api<Directory>("/api/v1/directory", { token: login.token })
      .then((d) => {
        directory = { queues: d?.queues ?? [], agents: d?.agents ?? [], wrapup_codes: d?.wrapup_codes ?? [] };
      })
      .catch(() => undefined);

  let activeId: string | null = null;
  let requestedState: AgentState | null = null;
  const conn = new AgentConnection(login, {
    status: (s) => {
      connEl.dataset.status = s;
      setText(connEl, { connecting: "Connecting…", online: "Connected", reconnecting: "Reconnecting…", failed: "Disconnected" }[s]);
    },
    hello: () => setText(nameEl, conn.agentName),
    conversations: () => {
      convList.render();
      if (activeId && !conn.conversations.has(activeId)) select(null);
    },
    messages: (id) => {
      if (id === activeId) {
        view.refresh();
        if (!document.hidden) conn.markRead(id);
      }
    },
    offers: () => offerList.render(),
    callbacks: () => callbackList.render(),
    newOffer: (o) => notifier.offer("New offer", `${o.contact?.name || "Customer"} · ${topicName(o.topic)}`),
    state: (s, reason) => {
      stateSwitch.set(s);
      // Only changes the agent did not ask for are worth a word (e.g. away after missed offers).
      if (reason && reason !== "requested" && s !== requestedState) toast(`You were set ${s}: ${reason.replace(/_/g, " ")}.`);
      requestedState = s;
    },
    unauthorized: () => {
      forgetLogin(ROLE);
      conn.stop();
      void start("Your session has ended. Please log in again.");
    },
    unassigned: (_id, reason) => toast(`A conversation was moved away${reason ? ` (${reason.replace(/_/g, " ")})` : ""}.`),
    isActive: (id) => id === activeId,
    rated: (_id, name, score, comment) =>
      toast(`${name} rated the conversation ${"★".repeat(score)}${"☆".repeat(5 - score)} (${score}/5)` +
        (comment ? `: “${comment.slice(0, 140)}”` : ".")),
  });

  const select = (id: string | null) => {
    activeId = id;
    const conv = id ? conn.conversations.get(id) ?? null : null;
    view.show(conv);
    convList.render();
    if (conv) {
      conn.markRead(conv.conversation_id);
      void customer.show(conv);
      view.focusComposer();
    } else {
      customer.clear();
    }
  };

  const stateSwitch = new StateSwitch(async (s: AgentState) => {
    requestedState = s;
    const ack = await conn.setState(s);
    if (ack.error) toast(`Could not change state. ${errorSentence(ack.error)}`);
  });
  const nameEl = h("span", { class: "agent-name" }, login.name ?? "");
  const connEl = h("span", { class: "conn", role: "status" });
  const mute = h("button", { class: "btn small", type: "button", "aria-pressed": "false", "data-action": "mute" });
  const drawMute = () => {
    mute.setAttribute("aria-pressed", String(notifier.muted));
    setText(mute, notifier.muted ? "Sound off" : "Sound on");
  };
  mute.addEventListener("click", () => {
    notifier.setMuted(!notifier.muted);
    drawMute();
  });
  drawMute();
  const notifyButton = h("button", { class: "btn small", type: "button", hidden: !notifier.canAskPermission }, "Desktop alerts");
  notifyButton.addEventListener("click", async () => {
    await notifier.askPermission();
    notifyButton.hidden = !notifier.canAskPermission;
  });
  const logoutButton = h("button", { class: "btn small", type: "button" }, "Log out");
  logoutButton.addEventListener("click", async () => {
    conn.stop();
    await logout(ROLE, login);
    location.reload();
  });

  const offerList = new OfferList(conn, topicName, (id) => select(id), toast);
  const callbackList = new CallbackList(conn, login.token, toast);
  const convList = new ConversationList(conn, topicName, () => activeId, (id) => select(id));
  const customer = new CustomerPanel(login.token, topicName);
  const done = (conv: Conversation, message: string) => {
    conn.remove(conv.conversation_id);
    toast(message);
    const next = [...conn.conversations.keys()][0] ?? null;
    select(next);
  };
  const view = new ConversationView(conn, () => login.agent_id ?? null, () => canned, topicName, {
    transfer: async (conv) => {
      await loadDirectory(); // agents' states change: show them as they are now
      transferDialog(directory, login.agent_id, async (target) => {
        const ack = await conn.transfer(conv.conversation_id, target);
        if (ack.error) return errorSentence(ack.error, "The transfer did not work. Please try again.");
        done(conv, "Conversation transferred.");
        return null;
      });
    },
    escalate: (conv) =>
      escalateDialog(customer.current ?? conv.contact, async (request) => {
        const ack = await conn.escalate(conv.conversation_id, request);
        if (ack.error) return errorSentence(ack.error, "The escalation did not work. Please try again.");
        toast(
          request.to === "email"
            ? "The customer will be answered by email."
            : request.to === "callback_offer"
              ? "Callback offered: the customer confirms it on their messenger."
              : "Callback requested.",
        );
        return null;
      }, !isEmail(conv), conv.channel === "messaging" ? { channelType: conv.channel_type } : null),
    close: (conv) => {
      const queue = conn.workspace.wrapup[conv.queue ?? ""]; // the queue's codes by name, maybe required
      closeDialog(queue?.codes.length ? queue.codes : directory.wrapup_codes, async (code) => {
        const ack = await conn.close(conv.conversation_id, code);
        if (ack.error) return errorSentence(ack.error, "The conversation could not be closed. Please try again.");
        done(conv, "Conversation closed.");
        return null;
      }, !!queue?.required);
    },
    dismiss: (conv) => done(conv, "Conversation removed from the list."),
  }, () => messageChars, login.token, () => uploadLimits);
  installShortcuts({
    nextUnread: () => {
      const ids = [...conn.conversations.values()].filter((c) => c.unread > 0).map((c) => c.conversation_id);
      const next = ids.find((id) => id !== activeId) ?? ids[0];
      if (next) select(next);
    },
    canned: () => view.startCanned(),
  });

  replace(
    root,
    h(
      "div",
      { class: "agent-app" },
      h(
        "header",
        { class: "topbar" },
        h("span", { class: "brand" }, "omnirelay", h("small", null, "Agent console")),
        stateSwitch.el,
        h("span", { class: "spacer" }),
        searchBox(login.token),
        connEl,
        notifyButton,
        mute,
        nameEl,
        logoutButton,
      ),
      h("div", { class: "agent-main" }, h("div", { class: "sidebar" }, offerList.el, callbackList.el, convList.el), view.el, customer.el),
      toastEl,
    ),
  );
  stateSwitch.set("offline");
  offerList.render();
  callbackList.render();
  convList.render();
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && activeId) conn.markRead(activeId);
  });

  conn.start();
  api<Canned[]>("/api/v1/canned", { token: login.token })
    .then((c) => (canned = c ?? []))
    .catch(() => undefined);
  api<{ topics?: { id: string; label?: Record<string, string> }[]; message_chars?: number; upload_bytes?: number; upload_types?: string[] }>(
    `/api/v1/widget/config?tenant=${encodeURIComponent(login.tenant ?? "demo")}`,
  )
    .then((c) => {
      for (const t of c?.topics ?? []) topicNames[t.id] = t.label?.en ?? Object.values(t.label ?? {})[0] ?? t.id;
      if (typeof c?.message_chars === "number" && c.message_chars > 0) messageChars = c.message_chars;
      if (typeof c?.upload_bytes === "number" && c.upload_bytes > 0) uploadLimits.bytes = c.upload_bytes;
      if (Array.isArray(c?.upload_types)) uploadLimits.types = c.upload_types.filter((t) => typeof t === "string");
      offerList.render();
      convList.render();
      if (activeId) select(activeId);
    })
    .catch(() => undefined);
  void loadDirectory();
}

void start();
