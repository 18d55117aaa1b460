import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { makeFolders } from "../../run/files.js";
import type { TaskPayload } from "../plan.js";
import { postSigned } from "./http.js";
import type { Channel, Outcome } from "./outcome.js";

/**
 * CSM tasks: one JSON line each, appended and flushed to disk before the
 * ledger says sent, to a file a CRM import or a script picks up; or POSTed
 * to a URL like a webhook. Each line carries the action's key, so a
 * consumer can drop the one repeat a crash may cause.
 */
export class TaskChannel implements Channel<TaskPayload> {
  constructor(
    private readonly sink: string,
    private readonly secret: string | undefined,
    private readonly timeoutMs: number,
    private readonly now: () => number,
  ) {}

  async deliver(payload: TaskPayload, key: string): Promise<Outcome> {
    const record = { key, ...payload };
    if (/^https?:\/\//.test(this.sink)) return postSigned(this.sink, { event: "touchline.task", ...record }, key, this.secret!, this.timeoutMs, this.now());
    try {
      makeFolders(dirname(this.sink));
      const fd = openSync(this.sink, "a");
      try {
        writeSync(fd, `${JSON.stringify(record)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return { ok: true, note: "written to the task file" };
    } catch (error) {
      return { ok: false, error: `the task file ${this.sink} cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, transient: true, unreachable: true };
    }
  }

  close(): void {}
}
