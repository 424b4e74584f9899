// Entry of the agent console (/agent): login, then offers, conversations, the open one and the
// customer panel, all fed by the /agent socket.

import { api } from "../shared/api";
import { h, replace, setText } from "../shared/dom";
import { forgetLogin, loginForm, logout, storedLogin, type Login } from "../shared/session";
import type { UploadLimits } from "../shared/upload";
import { OfferAnnouncer, titleOffers } from "./announce";
import { CallbackList } from "./callbacks";
import { AgentConnection } from "./connection";
import { ConversationList } from "./conversations";
import { ConversationView } from "./conversation";
import { CustomerPanel } from "./customer";
import { tc } from "./crm_strings";
import { DeepLink } from "./deeplink";
import { closeDialog, escalateDialog, transcriptDialog, transferDialog } from "./dialogs";
import { isEmail } from "./email_conversation";
import { errorSentence } from "./errors";
import { Leaving } from "./leaving";
import { Notifier } from "./notify";
import { OfferList } from "./offers";
import { searchBox } from "./search";
import { SlackLinkButton } from "./slack_link";
import { installShortcuts } from "./shortcuts";
import { StateSwitch } from "./state";
import type { AgentState, Canned, Conversation, Directory } from "./types";
import { langSwitch } from "../shared/lang_switch";
import { t, word } from "./strings";

const ROLE = "agent";
const root = document.getElementById("app") ?? document.body;
const notifier = new Notifier();


async function start(notice = ""): Promise<void> {
  const login = storedLogin(ROLE) ?? (await loginForm(root, ROLE, t.consoleTitle, notice));
  notifier.unlock();
  runConsole(login);
}

function runConsole(login: Login): void {
  let canned: Canned[] = [];
  let directory: Directory = { queues: [], agents: [], wrapup_codes: [] };
  // Topic labels come from the tenant's public widget config (in the console's language when it has one).
  const topicNames: Record<string, string> = {};
  const topicName = (id: string) => topicNames[id] ?? id;
  // The tenant's languages (same config): what a detected language can be corrected to.
  let languages: string[] = [];
  // Conversations a topic correction is moving to another queue: their "moved away" is said once, by it.
  const correcting = new Set<string>();
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
      setText(connEl, t.conn[s]);
    },
    hello: () => {
      setText(nameEl, conn.agentName);
      deepLink.start(); // the link the console was opened with, now that it knows what the agent holds
    },
    conversations: () => {
      convList.render();
      if (activeId && !conn.conversations.has(activeId)) select(null);
      leaving.settle(); // finishing first: the last one closed
    },
    messages: (id) => {
      if (id === activeId) {
        view.refresh();
        if (!document.hidden) conn.markRead(id);
      }
    },
    offers: () => {
      offerList.render();
      titleOffers(conn.offers.size);
    },
    callbacks: () => callbackList.render(),
    newOffer: (o) => {
      notifier.offer(t.newOffer, `${o.contact?.name || t.customer} · ${topicName(o.topic)}`);
      announcer.announce(t.offerAnnounce(o.channel, o.contact?.name || t.customer, topicName(o.topic)));
    },
    state: (s, reason) => {
      stateSwitch.set(s);
      // Only changes the agent did not ask for are worth a word (e.g. away after missed offers).
      if (reason && reason !== "requested" && s !== requestedState) toast(t.setBy(word(t.stateWords, s), word(t.reasons, reason)));
      requestedState = s;
    },
    unauthorized: () => {
      forgetLogin(ROLE);
      conn.stop();
      void start(t.sessionEnded);
    },
    unassigned: (id, reason) => {
      if (!leaving.handedBack(id) && !correcting.has(id)) toast(t.movedAway(word(t.reasons, reason)));
    },
    assist: (id) => {
      if (id === activeId) view.assistChanged();
      convList.render();
    },
    isActive: (id) => id === activeId,
    crm: (id, card) => customer.crmArrived(id, card),
    rated: (_id, name, score, comment) =>
      toast(t.rated(name, `${"★".repeat(score)}${"☆".repeat(5 - score)}`, score, comment ? comment.slice(0, 140) : "")),
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
    if (s === "offline") return leaving.request("offline"); // asks first when conversations are open
    leaving.cancel();
    requestedState = s;
    const ack = await conn.setState(s);
    if (ack.error) toast(t.stateFailed(errorSentence(ack.error)));
  });
  const changeState = async (s: AgentState, handBack = false): Promise<string | null> => {
    requestedState = s;
    const ack = await conn.setState(s, handBack);
    return ack.error ? t.stateFailed(errorSentence(ack.error)) : null;
  };
  const leaving = new Leaving(conn, {
    leave: async (goal, handBack) => {
      if (goal === "offline" || handBack) {
        const problem = await changeState("offline", handBack);
        if (problem || goal === "offline") return problem;
      }
      conn.stop();
      await logout(ROLE, login); // offline in the ACD at once (gateway/api/login.py)
      location.reload();
      return null;
    },
    away: () => changeState("away"),
    toast: (text) => toast(text),
  });
  const announcer = new OfferAnnouncer();
  const nameEl = h("span", { class: "agent-name" }, login.name ?? "");
  const connEl = h("span", { class: "conn", role: "status" });
  const mute = h("button", { class: "btn small", type: "button", "aria-pressed": "false", "data-action": "mute" });
  const drawMute = () => {
    mute.setAttribute("aria-pressed", String(notifier.muted));
    setText(mute, notifier.muted ? t.soundOff : t.soundOn);
  };
  mute.addEventListener("click", () => {
    notifier.setMuted(!notifier.muted);
    drawMute();
  });
  drawMute();
  const notifyButton = h("button", { class: "btn small", type: "button", hidden: !notifier.canAskPermission }, t.desktopAlerts);
  notifyButton.addEventListener("click", async () => {
    await notifier.askPermission();
    notifyButton.hidden = !notifier.canAskPermission;
  });
  const logoutButton = h("button", { class: "btn small", type: "button" }, t.logout);
  const slackLink = new SlackLinkButton(login.token, (text) => toast(text)); // the agent's own Slack link (docs/slack.md)
  logoutButton.addEventListener("click", () => leaving.request("logout")); // asks first when conversations are open

  const offerList = new OfferList(conn, topicName, (id) => select(id), toast);
  const callbackList = new CallbackList(conn, login.token, toast);
  const convList = new ConversationList(conn, topicName, () => activeId, (id) => select(id));
  const customer = new CustomerPanel(login.token, topicName);
  const deepLink = new DeepLink(login.token, {
    holds: (id) => conn.conversations.has(id),
    offered: (id) => [...conn.offers.values()].some((o) => o.conversation_id === id),
    open: (id) => select(id),
    readOnly: (_id, messages) => transcriptDialog(`${t.conversation} · ${tc.linkReadOnly}`, messages),
    say: (text) => toast(text),
  });
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
        if (ack.error) return errorSentence(ack.error, t.transferFailed);
        done(conv, t.transferred);
        return null;
      });
    },
    escalate: (conv) =>
      escalateDialog(customer.current ?? conv.contact, async (request) => {
        const ack = await conn.escalate(conv.conversation_id, request);
        if (ack.error) return errorSentence(ack.error, t.escalateFailed);
        toast(
          request.to === "email"
            ? t.answeredByEmail
            : request.to === "callback_offer"
              ? t.callbackOffered
              : t.callbackRequested,
        );
        return null;
      }, !isEmail(conv), conv.channel === "messaging" ? { channelType: conv.channel_type } : null),
    close: (conv) => {
      const queue = conn.workspace.wrapup[conv.queue ?? ""]; // the queue's codes by name, maybe required
      closeDialog(queue?.codes.length ? queue.codes : directory.wrapup_codes, async (code) => {
        const ack = await conn.close(conv.conversation_id, code);
        if (ack.error) return errorSentence(ack.error, t.closeFailed);
        done(conv, t.closed);
        return null;
      }, !!queue?.required);
    },
    dismiss: (conv) => done(conv, t.removed),
  }, () => messageChars, login.token, () => uploadLimits, {
    topics: () => Object.entries(topicNames).map(([id, name]) => ({ id, name })),
    languages: () => languages,
    topicName,
    moved: (conv, queue) => {
      correcting.add(conv.conversation_id);
      if (conn.conversations.has(conv.conversation_id)) done(conv, t.assist.movedTo(queue));
      else toast(t.assist.movedTo(queue));
    },
    say: toast,
  });
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
        h("h1", { class: "brand" }, "omnirelay", h("small", null, t.consoleTitle)),
        stateSwitch.el,
        h("span", { class: "spacer" }),
        searchBox(login.token),
        connEl,
        langSwitch(),
        slackLink.el,
        notifyButton,
        mute,
        nameEl,
        logoutButton,
      ),
      h("main", { class: "agent-main" }, h("div", { class: "sidebar" }, offerList.el, callbackList.el, convList.el), view.el, customer.el),
      toastEl,
      announcer.el,
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
  void slackLink.start();
  api<Canned[]>("/api/v1/canned", { token: login.token })
    .then((c) => (canned = c ?? []))
    .catch(() => undefined);
  api<{
    topics?: { id: string; label?: Record<string, string> }[]; languages?: string[]; message_chars?: number; upload_bytes?: number;
    upload_types?: string[];
  }>(
    `/api/v1/widget/config?tenant=${encodeURIComponent(login.tenant ?? "demo")}`,
  )
    .then((c) => {
      for (const topic of c?.topics ?? []) {
        topicNames[topic.id] = topic.label?.[t.lang] ?? topic.label?.en ?? Object.values(topic.label ?? {})[0] ?? topic.id;
      }
      if (Array.isArray(c?.languages)) languages = c.languages.filter((l) => typeof l === "string");
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
