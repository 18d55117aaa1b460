/** What Touchline remembers about one trigger for one account between runs. */
export interface TriggerState {
  /** the condition held at the last evaluation */
  active: boolean;
  /** days the account entered the trigger (recent ones), for limits */
  entries: number[];
  /** how many times the account ever entered */
  entryCount: number;
  lastEntered: number | null;
  /** the renewal date at the last entry, for once_per_renewal */
  renewalKey: number | null;
  /** next step of a running sequence, or null when not in one */
  step: number | null;
  nextStepDay: number | null;
  /** on_enter_catch_up: an entry a cooldown held back, waiting for it to end */
  waiting?: boolean;
}

/** What Touchline remembers about one account between runs; stored as JSON. */
export interface AccountState {
  /** the last day evaluated */
  day: number;
  /** the playbook (hash) that evaluated it */
  playbook: string;
  tier: string | null;
  tierSince: number | null;
  pending: { tier: string | null; since: number } | null;
  health: { score: number | null; status: string | null; model: string } | null;
  /** recent [day, score] pairs, for the trend */
  scores: [number, number][];
  /** the first day each milestone was seen done */
  milestonesDone: Record<string, number>;
  /** the first day this account was evaluated: a milestone done then was done before tracking began */
  trackedSince?: number;
  triggers: Record<string, TriggerState>;
  /** recent [day, channel] of actions decided, for frequency caps */
  sent: [number, string][];
}

const text = (value: string | null) => (value === null ? "null" : JSON.stringify(value));
const number = (value: number | null) => (value === null || !Number.isFinite(value) ? "null" : String(value));
function nonEmpty(record: Record<string, unknown>): boolean {
  for (const _ in record) return true;
  return false;
}

/**
 * The state as the JSON the state file stores, written field by field: a run
 * writes one per account, and most are small and alike, so this avoids the
 * generic serializer's walk. `JSON.parse` reads it back.
 */
export function encodeState(state: AccountState): string {
  const health = state.health ? `{"score":${number(state.health.score)},"status":${text(state.health.status)},"model":${JSON.stringify(state.health.model)}}` : "null";
  const pending = state.pending ? `{"tier":${text(state.pending.tier)},"since":${state.pending.since}}` : "null";
  const tracked = state.trackedSince === undefined ? "" : `,"trackedSince":${state.trackedSince}`;
  return `{"day":${state.day},"playbook":${JSON.stringify(state.playbook)},"tier":${text(state.tier)},"tierSince":${number(state.tierSince)},"pending":${pending},"health":${health},"scores":${state.scores.length === 0 ? "[]" : JSON.stringify(state.scores)},"milestonesDone":${nonEmpty(state.milestonesDone) ? JSON.stringify(state.milestonesDone) : "{}"}${tracked},"triggers":${nonEmpty(state.triggers) ? JSON.stringify(state.triggers) : "{}"},"sent":${state.sent.length === 0 ? "[]" : JSON.stringify(state.sent)}}`;
}
