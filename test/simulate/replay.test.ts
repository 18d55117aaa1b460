import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { DataEngine } from "../../src/data/duckdb.js";
import { Rejections } from "../../src/data/rejects.js";
import { compilePlaybook } from "../../src/engine/compile.js";
import { encodeState } from "../../src/engine/state.js";
import { epochDayOf, isoDateOf } from "../../src/expression/literals.js";
import { checkText } from "../../src/language/index.js";
import { decisionRecord } from "../../src/run/output.js";
import { loadHistory } from "../../src/simulate/history.js";
import { replay } from "../../src/simulate/replay.js";
import { TestProject } from "../helpers/project.js";
import { REPLAY_DAYS as DAYS, REPLAY_FROM as FROM, REPLAY_PLAYBOOK as PLAYBOOK, replayHistory as history, csvHistory } from "../helpers/history.js";

describe("a replay of history", () => {
  it("gives byte-identical decisions and state to consecutive runs of each day", async () => {
    const { snapshots, events } = history();
    const header = "account_id,arr,seats,admin_email,start,timezone";
    const project = new TestProject({ "playbook.play": PLAYBOOK, "accounts.csv": `${header}\n`, "events.csv": events, "snapshots.csv": `account_id,as_of,${header.slice("account_id,".length)}\n${snapshots.map((s) => s.join(",")).join("\n")}\n` });
    const from = epochDayOf(FROM)!;

    // The runs: each day's accounts file holds every account's latest snapshot up to that day, in order of first appearance.
    const order: string[] = [];
    for (const row of snapshots) if (!order.includes(row[0]!)) order.push(row[0]!);
    const runDecisions: string[] = [];
    for (let day = from; day < from + DAYS; day++) {
      const latest = new Map<string, string[]>();
      for (const row of snapshots) if (epochDayOf(row[1]!)! <= day) latest.set(row[0]!, row);
      const rows = order.filter((id) => latest.has(id)).map((id) => { const r = latest.get(id)!; return [r[0], ...r.slice(2)].join(","); });
      project.write("accounts.csv", `${header}\n${rows.join("\n")}\n`);
      const result = await project.run(isoDateOf(day));
      expect(result.code, result.stderr).toBe(0);
      runDecisions.push(readFileSync(project.path(`decisions-${isoDateOf(day)}.jsonl`), "utf8"));
    }

    // The replay of the same days from the snapshots.
    const checked = checkText(project.path("playbook.play"), PLAYBOOK, () => undefined);
    const plan = compilePlaybook(checked);
    const engine = await DataEngine.open();
    let finals;
    const replayed = new Map<number, string[]>();
    try {
      const data = await loadHistory(
        engine,
        plan,
        checked.environment.eventTypes,
        csvHistory(project.path("snapshots.csv"), project.path("events.csv")),
        from,
        from + DAYS - 1,
        new Rejections(),
        false,
      );
      finals = replay(plan, data, { from, to: from + DAYS - 1, step: 1 }, (_account, decision) => {
        const lines = replayed.get(decision.day) ?? [];
        lines.push(`${JSON.stringify(decisionRecord(plan, decision))}\n`);
        replayed.set(decision.day, lines);
      });
    } finally {
      engine.close();
    }
    let actions = 0;
    const kinds = new Set<string>();
    for (let i = 0; i < DAYS; i++) {
      expect((replayed.get(from + i) ?? []).join(""), `decisions of ${isoDateOf(from + i)}`).toBe(runDecisions[i]);
      for (const line of runDecisions[i]!.split("\n").filter(Boolean)) {
        const decision = JSON.parse(line) as { actions: { kind: string; trigger: string }[] };
        actions += decision.actions.length;
        for (const action of decision.actions) kinds.add(`${action.trigger}:${action.kind}`);
      }
    }
    // The history really exercises cooldowns, sequences and limits.
    expect(actions).toBeGreaterThan(20);
    expect([...kinds].sort()).toEqual(expect.arrayContaining(["falling:email", "falling:task", "quiet:email"]));

    const db = new Database(project.path(".touchline/state.db"), { readonly: true });
    const stored = new Map((db.prepare("SELECT account_id, state FROM account_state").all() as { account_id: string; state: string }[]).map((r) => [r.account_id, r.state]));
    db.close();
    expect(stored.size).toBe(finals.size);
    for (const [id, state] of finals) expect(encodeState(state), `state of ${id}`).toBe(stored.get(id));
  }, 240_000);
});
