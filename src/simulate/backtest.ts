/**
 * The figures of a backtest: how well signals (a trigger entering, the
 * health status turning red, the score itself) foresaw churn within a
 * horizon. Pure functions over days, so each can be checked by hand.
 */

/** One alert: an account entered a signal on a day. */
export interface Alert {
  account: string;
  day: number;
}

/** One churn: an account left on a day. */
export interface Churn {
  account: string;
  day: number;
}

export interface CaptureFigures {
  /** alerts whose horizon lies within the known outcomes (later ones are not scored) */
  alertsScored: number;
  /** alerts followed by a churn of their account within the horizon (after the alert day, up to horizon days later) */
  alertsFollowedByChurn: number;
  /** alertsFollowedByChurn / alertsScored; null without scored alerts */
  precision: number | null;
  churns: number;
  /** churns with an alert of their account in the horizon before them */
  churnsCaught: number;
  /** churnsCaught / churns; null without churns */
  recall: number | null;
  /** per caught churn, days from its earliest alert in the horizon to the churn */
  leadTimes: number[];
  medianLeadTime: number | null;
}

/**
 * Precision, recall and lead time of alerts for churn within `horizon`
 * days: an alert on day t is right when its account churns on a day in
 * (t, t + horizon]; a churn on day c is caught when its account had an
 * alert on a day in [c - horizon, c). Alerts after `knownUntil - horizon`
 * are not scored: the outcomes do not reach the end of their horizon.
 */
export function captureFigures(alerts: readonly Alert[], churns: readonly Churn[], horizon: number, knownUntil: number): CaptureFigures {
  const churnDays = groupDays(churns);
  const alertDays = groupDays(alerts);
  let scored = 0;
  let followed = 0;
  for (const alert of alerts) {
    if (alert.day + horizon > knownUntil) continue;
    scored++;
    if ((churnDays.get(alert.account) ?? []).some((c) => c > alert.day && c <= alert.day + horizon)) followed++;
  }
  const leadTimes: number[] = [];
  for (const churn of churns) {
    const earliest = (alertDays.get(churn.account) ?? []).filter((t) => t >= churn.day - horizon && t < churn.day).reduce((min, t) => Math.min(min, t), Infinity);
    if (earliest !== Infinity) leadTimes.push(churn.day - earliest);
  }
  return {
    alertsScored: scored,
    alertsFollowedByChurn: followed,
    precision: scored === 0 ? null : followed / scored,
    churns: churns.length,
    churnsCaught: leadTimes.length,
    recall: churns.length === 0 ? null : leadTimes.length / churns.length,
    leadTimes,
    medianLeadTime: median(leadTimes),
  };
}

function groupDays(items: readonly { account: string; day: number }[]): Map<string, number[]> {
  const byAccount = new Map<string, number[]>();
  for (const item of items) {
    const days = byAccount.get(item.account);
    if (days) days.push(item.day);
    else byAccount.set(item.account, [item.day]);
  }
  return byAccount;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The ROC AUC of a risk score for a yes/no outcome: the chance that a
 * random positive has a higher risk than a random negative, ties counting
 * half (the Mann-Whitney statistic from average ranks). Null when either
 * class is empty.
 */
export function rocAuc(risk: ArrayLike<number>, positive: ArrayLike<boolean>): number | null {
  const n = risk.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => risk[a]! - risk[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && risk[order[end + 1]!] === risk[order[start]!]) end++;
    // Ranks start + 1 .. end + 1 share their average.
    const rank = (start + end + 2) / 2;
    for (let k = start; k <= end; k++) {
      if (positive[order[k]!]) {
        positives++;
        rankSum += rank;
      }
    }
    start = end + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export interface DecileRow {
  /** 1 = the lowest scores; a decile merged into the one before it by ties is missing */
  decile: number;
  minScore: number;
  maxScore: number;
  count: number;
  positives: number;
  rate: number;
}

/**
 * The outcome rate by score decile: observations sorted by score and cut
 * into ten groups as even as ties allow (equal scores stay in one decile,
 * so deciles can be uneven, and some can be empty and left out).
 */
export function rateByDecile(score: ArrayLike<number>, positive: ArrayLike<boolean>): DecileRow[] {
  const n = score.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a]! - score[b]!);
  const rows: DecileRow[] = [];
  let start = 0;
  for (let decile = 1; decile <= 10 && start < n; decile++) {
    let end = Math.ceil((decile * n) / 10) - 1;
    // A decile whose observations all tied with the one before went into it.
    if (end < start) continue;
    // Ties with the last observation join this decile.
    while (end + 1 < n && score[order[end + 1]!] === score[order[end]!]) end++;
    let positives = 0;
    for (let k = start; k <= end; k++) if (positive[order[k]!]) positives++;
    rows.push({ decile, minScore: score[order[start]!]!, maxScore: score[order[end]!]!, count: end - start + 1, positives, rate: positives / (end - start + 1) });
    start = end + 1;
  }
  return rows;
}
