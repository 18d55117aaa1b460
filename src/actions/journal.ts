import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { basename, join } from "node:path";
import { makeFolders } from "../run/files.js";
import type { OutboxLedger } from "./ledger.js";

/** One delivery the receiver acknowledged, as the journal keeps it until the ledger has it. */
export interface Acknowledgement {
  key: string;
  at: number;
  messageId: string | null;
  note: string | null;
}

/**
 * The acknowledgements of one sending process, appended to a file the
 * moment each arrives (a write to the operating system, which survives the
 * process being killed), and folded into the ledger in one transaction per
 * batch. An SQLite commit per message would cost more than the message's
 * own SMTP exchange with a nearby server; an append costs a few
 * microseconds. Whoever finds the journal of a process that is gone folds
 * it before sending that process's unfinished rows again.
 */
export class DeliveryJournal {
  private readonly fd: number;
  private pending: Acknowledgement[] = [];

  constructor(
    readonly folder: string,
    readonly owner: string,
  ) {
    makeFolders(folder);
    this.fd = openSync(journalFile(folder, owner), "a+");
    // A journal left by an earlier process with the same id (a reused pid) is folded first.
    if (fstatSync(this.fd).size > 0) this.pending = parseJournal(readFileSync(journalFile(folder, owner), "utf8"));
  }

  append(ack: Acknowledgement): void {
    // One line per acknowledgement: the key (JSON, so any character is safe), the time, the Message-ID, the note.
    const plain = (text: string | null) => (text ?? "").replace(/[\t\r\n]/g, " ");
    writeSync(this.fd, `${JSON.stringify(ack.key)}\t${ack.at}\t${plain(ack.messageId)}\t${plain(ack.note)}\n`);
    this.pending.push(ack);
  }

  /** Writes the acknowledgements into the ledger (inside `alsoDo`'s transaction), then empties the journal. */
  fold<T>(ledger: OutboxLedger, alsoDo: () => T): T {
    const acks = this.pending;
    const result = ledger.db.transaction(() => {
      ledger.markSentMany(acks);
      return alsoDo();
    })();
    if (acks.length > 0) ftruncateSync(this.fd, 0);
    this.pending = [];
    return result;
  }

  close(ledger: OutboxLedger): void {
    this.fold(ledger, () => undefined);
    closeSync(this.fd);
    try {
      unlinkSync(journalFile(this.folder, this.owner));
    } catch {
      // Already gone: nothing to keep.
    }
  }
}

function journalFile(folder: string, owner: string): string {
  return join(folder, `${owner.replace(/[^A-Za-z0-9_.-]/g, "_")}.jsonl`);
}

function parseJournal(text: string): Acknowledgement[] {
  const acks: Acknowledgement[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      const [key, at, messageId, note] = line.split("\t") as [string, string, string, string | undefined];
      if (note === undefined || !/^\d+$/.test(at)) continue;
      acks.push({ key: JSON.parse(key) as string, at: Number(at), messageId: messageId || null, note: note || null });
    } catch {
      // The last line of a process killed in the middle of a write: that message was not recorded, and is sent again.
    }
  }
  return acks;
}

/**
 * Folds the journals of processes that are gone (on this host: not running;
 * a journal untouched for longer than the lease: its host stopped) into the
 * ledger, so the messages they had sent are not sent again.
 */
export function foldAbandonedJournals(folder: string, ledger: OutboxLedger, isAlive: (owner: string) => boolean, own: string, leaseMs: number, now: number): number {
  if (!existsSync(folder)) return 0;
  let folded = 0;
  for (const name of readdirSync(folder)) {
    if (!name.endsWith(".jsonl")) continue;
    const path = join(folder, name);
    if (name === basename(journalFile(folder, own))) continue;
    const owner = name.slice(0, -".jsonl".length).replace(/_(\d+)$/, ":$1");
    let stale: boolean;
    try {
      stale = !isAlive(owner) || statSync(path).mtimeMs < now - leaseMs;
    } catch {
      continue;
    }
    if (!stale) continue;
    const acks = parseJournal(readFileSync(path, "utf8"));
    ledger.markSentMany(acks);
    folded += acks.length;
    unlinkSync(path);
  }
  return folded;
}
