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
  triggers: Record<string, TriggerState>;
  /** recent [day, channel] of actions decided, for frequency caps */
  sent: [number, string][];
}
