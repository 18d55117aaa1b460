import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { CompiledPlaybook } from "../engine/compiled.js";
import type { Project } from "../run/project.js";
import { RunStopped } from "../run/run.js";
import type { AccountHistory, HistoryData } from "./history.js";
import { MonthEndsObserver, type MonthEndsPart } from "./month-ends.js";
import { ReplayObserver, type ObserverPart } from "./observer.js";
import { replay, type ReplayOptions, type ReplayVisitor } from "./replay.js";

/**
 * The worker's script, next to this module once compiled. Run from the
 * TypeScript sources (the unit tests) there is none, and the replay stays on
 * the main thread.
 */
const WORKER_SCRIPT = fileURLToPath(new URL("./replay-worker.js", import.meta.url));

/** The fewest accounts worth a thread of their own: below it, starting one costs more than it saves. */
const ACCOUNTS_PER_THREAD = 1_000;

/** What a replay keeps of the account-days it evaluates: what `simulate` reports, or the month ends `kpi` needs (with NPS answers when the playbook reads them). */
export type Observing = { kind: "report" } | { kind: "month-ends"; nps: boolean };
type MonthEnds = Extract<Observing, { kind: "month-ends" }>;
const REPORT: Observing = { kind: "report" };

/** What a replay on threads is given: the project and playbook a thread compiles again, the history, the days, how many threads, and where progress goes. */
type ReplayArguments = [
  project: Project,
  playbook: string,
  plan: CompiledPlaybook,
  data: HistoryData,
  options: ReplayOptions & { churns: ReadonlyMap<string, readonly number[]> },
  threads: number,
  progress: (done: number, total: number) => void,
];

/** What one thread replays: a contiguous run of the history's accounts, with what it needs to compile the same playbook. */
export interface ReplayJob {
  project: Project;
  playbook: string;
  /** the plan's hash on the main thread: a thread that compiles another playbook (the file changed) stops */
  hash: string;
  from: number;
  to: number;
  step: number;
  firstDay: number;
  accounts: AccountHistory[];
  churns: [string, number[]][];
  observing: Observing;
}

export type ReplayMessage = { kind: "progress"; accounts: number } | { kind: "done"; part: ObserverPart | MonthEndsPart } | { kind: "stopped"; message: string };

/** Threads a replay of `accounts` accounts uses unless told: one per core, up to 8, each with at least ACCOUNTS_PER_THREAD accounts. */
export function defaultThreads(accounts: number): number {
  return Math.max(1, Math.min(availableParallelism(), 8, Math.floor(accounts / ACCOUNTS_PER_THREAD)));
}

/** Replays `data` and observes every account-day, on the main thread: what each thread does with its accounts. */
export function replayObserved(plan: CompiledPlaybook, data: Pick<HistoryData, "accounts" | "firstDay">, options: ReplayOptions, accountDone: () => void, observing: Observing = REPORT): ReplayObserver | MonthEndsObserver {
  let see: ReplayVisitor;
  let observer: ReplayObserver | MonthEndsObserver;
  if (observing.kind === "report") {
    const report = (observer = new ReplayObserver(plan));
    see = (account, decision, state) => report.observe(account.id, decision, state);
  } else {
    const ends = (observer = new MonthEndsObserver(observing.nps));
    see = (account, decision, _state, fields) => ends.observe(account.id, decision, fields);
  }
  let current: AccountHistory | undefined;
  replay(plan, data, options, (account, decision, state, fields) => {
    if (account !== current) {
      if (current) accountDone();
      current = account;
    }
    see(account, decision, state, fields);
  });
  if (current) accountDone();
  return observer;
}

/** The buffers of a thread's part, moved rather than copied back: a report's trails (month ends have none). */
export function partBuffers(part: ObserverPart | MonthEndsPart): ArrayBuffer[] {
  return "trails" in part ? part.trails.flatMap(([, trail]) => [trail.days.buffer, trail.statuses.buffer, trail.tiers.buffer, trail.scores.buffer] as ArrayBuffer[]) : [];
}

/**
 * Replays the history's accounts on `threads` threads, each a contiguous
 * run of them, and adds up what each observed in account order: the
 * report is the same, byte for byte, whatever the number of threads.
 * Accounts are independent (a replay holds one account's state at a time),
 * so this is the replay's whole evaluation spread over the cores. The
 * accounts' daily partials move to the threads: `data` cannot be replayed
 * again afterwards.
 */
export async function replayOnThreads(...args: ReplayArguments): Promise<ReplayObserver>;
export async function replayOnThreads(...args: [...ReplayArguments, observing: MonthEnds]): Promise<MonthEndsObserver>;
export async function replayOnThreads(...[project, playbook, plan, data, options, threads, progress, observing = REPORT]: [...ReplayArguments, observing?: Observing]): Promise<ReplayObserver | MonthEndsObserver> {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads is a whole number of at least 1, not ${threads}`);
  const total = data.accounts.length;
  let done = 0;
  const tick = (accounts: number) => progress((done += accounts), total);
  const count = Math.min(threads, total);
  if (count <= 1 || !existsSync(WORKER_SCRIPT)) return replayObserved(plan, data, options, () => tick(1), observing);
  const slices = Array.from({ length: count }, (_, i) => data.accounts.slice(Math.floor((i * total) / count), Math.floor(((i + 1) * total) / count)));
  const workers: Worker[] = [];
  const observer = observing.kind === "report" ? new ReplayObserver(plan) : new MonthEndsObserver(observing.nps);
  try {
    const parts = slices.map((accounts) => {
      const job: ReplayJob = {
        project,
        playbook,
        hash: plan.hash,
        from: options.from,
        to: options.to,
        step: options.step,
        firstDay: data.firstDay,
        accounts,
        churns: accounts.flatMap((a) => (options.churns.has(a.id) ? [[a.id, [...options.churns.get(a.id)!]] as [string, number[]]] : [])),
        observing,
      };
      const worker = new Worker(WORKER_SCRIPT, { workerData: job, transferList: transferables(job.accounts) });
      workers.push(worker);
      const part = finished(worker, tick);
      // Awaited below with the others; if a later thread cannot start, this one is stopped and its rejection is expected.
      part.catch(() => undefined);
      return part;
    });
    // Each thread observed the same kind of part as `observer`.
    for (const part of await Promise.all(parts)) observer.absorb(part as ObserverPart & MonthEndsPart);
  } finally {
    // A thread that stopped stops the others: their work would be thrown away, and they would keep the process alive.
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return observer;
}

/** The partials' buffers, moved rather than copied to the thread (they are most of an account's memory). */
function transferables(accounts: readonly AccountHistory[]): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const account of accounts) {
    for (const partial of account.partials) {
      if (partial instanceof Float64Array) buffers.push(partial.buffer as ArrayBuffer);
      else if (partial && !Array.isArray(partial)) buffers.push(partial.offsets.buffer as ArrayBuffer, partial.values.buffer as ArrayBuffer);
    }
    for (const counts of account.counts) if (counts) buffers.push(counts.buffer as ArrayBuffer);
  }
  return buffers;
}

/** What a thread observed, once it is done; its progress goes to `tick` meanwhile. */
function finished(worker: Worker, tick: (accounts: number) => void): Promise<ObserverPart | MonthEndsPart> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    worker.on("message", (message: ReplayMessage) => {
      if (message.kind === "progress") tick(message.accounts);
      else if (message.kind === "done") settle(() => resolve(message.part));
      else settle(() => reject(new RunStopped(message.message)));
    });
    worker.on("error", (error) =>
      settle(() =>
        reject(
          (error as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY"
            ? new RunStopped("a replay thread ran out of memory: replay on fewer threads (--threads 1 uses the least memory)")
            : error,
        ),
      ),
    );
    worker.on("exit", (code) => settle(() => reject(new Error(`a replay thread ended (exit code ${code}) before it finished its accounts`))));
  });
}
