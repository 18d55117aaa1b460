import { parentPort, workerData } from "node:worker_threads";
import { recordMaker } from "../engine/records.js";
import { PlaybookInvalid, preparePlaybook, RunStopped } from "../run/run.js";
import { partBuffers, replayObserved, type ReplayJob, type ReplayMessage } from "./parallel.js";

/** One thread of a replay (see replayOnThreads): its accounts replayed and observed, what it observed sent back. */
const job = workerData as ReplayJob;
const post = (message: ReplayMessage, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(message, transfer);
try {
  const { plan } = preparePlaybook(job.project, job.playbook);
  if (plan.hash !== job.hash) throw new RunStopped(`${job.playbook} changed while the replay ran: run simulate again`);
  // A record crosses threads as a plain object (with Object's prototype): each snapshot's fields become a record again.
  const first = job.accounts[0]?.fields[0];
  if (first) {
    const make = recordMaker(Object.keys(first));
    for (const account of job.accounts) account.fields = account.fields.map((fields) => Object.assign(make(), fields));
  }
  // Progress in steps of accounts: a message per account would cost more than its evaluation.
  let unreported = 0;
  const observer = replayObserved(plan, { accounts: job.accounts, firstDay: job.firstDay }, { from: job.from, to: job.to, step: job.step, churns: new Map(job.churns) }, () => {
    if (++unreported < 100) return;
    post({ kind: "progress", accounts: unreported });
    unreported = 0;
  }, job.observing);
  if (unreported > 0) post({ kind: "progress", accounts: unreported });
  const part = observer.part();
  // The trails' arrays are this part's own copies: moved, not copied again.
  post({ kind: "done", part }, partBuffers(part));
} catch (error) {
  // Errors lose their class between threads: each is said here as the main thread would say it.
  if (error instanceof RunStopped) post({ kind: "stopped", message: error.message });
  else if (error instanceof PlaybookInvalid) post({ kind: "stopped", message: `${job.playbook} changed while the replay ran and no longer checks: run touchline check, then simulate again` });
  else throw error;
}
