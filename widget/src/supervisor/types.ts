// The supervisor `snapshot` event (see /work/shared/CONTRACT.md).

export interface AgentRow {
  id: string;
  name: string;
  state: string;
  state_since?: number;
  load: Record<string, number>;
  capacity: Record<string, number>;
  occupancy: number;
  /** A console is open (or the agent is not offline): "logged in but not available" vs "not logged in". */
  connected?: boolean;
}

export interface QueueRow {
  id: string;
  name?: string;
  waiting: number;
  longest_wait_s: number;
  ewt_s: number;
  service_level: number | null;
  sla_target?: number;
  sla_threshold_s?: number;
  abandoned?: number;
  asa_s?: number | null;
  aht_s?: number | null;
  /** false while no conversation was handled yet (aht_s is then only the configured guess). */
  aht_measured?: boolean;
  agents_needed?: number | null;
}

/** Optional: live conversations, when the gateway sends them. */
export interface LiveConversation {
  id: string;
  contact_name?: string;
  queue?: string;
  agent?: string | null;
  agent_id?: string | null;
  state?: string;
  channel_type?: string;
  waited_s?: number;
  last_message?: string;
}

/** A configured channel and its health: ok, connecting, transient_error, auth_failed, disabled[: why]. */
export interface ChannelRow {
  id: string;
  type: string;
  health: string;
}

/** Voice callback figures of one period (counts, attempts per reached customer, seconds from due to first dial). */
export interface CallbackFigures {
  requests: number;
  cancelled: number;
  reached: number;
  failed: number;
  attempts_per_reached: number | null;
  first_attempt_median_s: number | null;
  first_attempt_p90_s: number | null;
}

/** One queue's callbacks: open now, today (tenant time zone) and the last 15 minutes. */
export interface CallbackRow {
  queue: string;
  open: number;
  today: CallbackFigures;
  last_15m: CallbackFigures;
}

export interface Snapshot {
  ts: number;
  agents: AgentRow[];
  queues: QueueRow[];
  series?: Record<string, [number, number][]>;
  conversations?: LiveConversation[];
  channels?: ChannelRow[];
  callbacks?: CallbackRow[];
}
