import { beforeAll, describe, expect, it } from "vitest";
import { TestProject } from "../helpers/project.js";


const days = (from: string, count: number) =>
  Array.from({ length: count }, (_, i) => new Date(Date.parse(`${from}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10));

function playbook(body: string): string {
  return `playbook "t" {
  account {
    low: bool
    email: email
    renewal_date: date
    done: bool = false
  }
  template "nudge" { subject "Nudge" body "Hi" }
${body}
}
`;
}

/** Runs one project on consecutive days, changing the row as `rowFor(day)` says; returns the actions per day. */
async function actionsOver(body: string, dayList: string[], rowFor: (day: string, index: number) => string): Promise<string[][]> {
  const project = new TestProject({ "playbook.play": playbook(body), "accounts.csv": "" });
  const actions: string[][] = [];
  for (const [index, day] of dayList.entries()) {
    const row = rowFor(day, index);
    project.write("accounts.csv", `account_id,low,email,renewal_date,done\n${row.split(",").length === 4 ? `${row},false` : row}\n`);
    const result = await project.run(day);
    expect(result.code, result.stderr).toBe(0);
    actions.push(result.decisions.get("X")!.actions.map((a) => `${a.trigger}:${a.kind}:${a.status}`));
  }
  return actions;
}

describe("firing semantics across consecutive runs", () => {
  it("on_enter fires when the condition becomes true, not while it stays true", async () => {
    const lows = [true, true, false, true, true];
    const fired = await actionsOver(`  trigger t { when low  limit 10 per 30d  email "nudge" to email }`, days("2026-03-01", 5), (_, i) => `X,${lows[i]},a@x.io,2026-12-31`);
    expect(fired.map((a) => a.length)).toEqual([1, 0, 0, 1, 0]);
  });

  it("while_true fires every run the condition holds, once the cooldown is over", async () => {
    const fired = await actionsOver(`  trigger t { when low  fire while_true  cooldown 3d  email "nudge" to email }`, days("2026-03-01", 8), () => "X,true,a@x.io,2026-12-31");
    expect(fired.map((a) => a.length)).toEqual([1, 0, 0, 1, 0, 0, 1, 0]);
  });

  it("a cooldown also holds back on_enter after the condition flips", async () => {
    const lows = [true, false, true, false, true];
    const fired = await actionsOver(`  trigger t { when low  cooldown 3d  email "nudge" to email }`, days("2026-03-01", 5), (_, i) => `X,${lows[i]},a@x.io,2026-12-31`);
    expect(fired.map((a) => a.length)).toEqual([1, 0, 0, 0, 1]);
  });

  it("limit once enters only once per account, ever", async () => {
    const lows = [true, false, true, false, true];
    const fired = await actionsOver(`  trigger t { when low  limit once  email "nudge" to email }`, days("2026-03-01", 5), (_, i) => `X,${lows[i]},a@x.io,2026-12-31`);
    expect(fired.map((a) => a.length)).toEqual([1, 0, 0, 0, 0]);
  });

  it("limit once_per_renewal enters again after the renewal date moves", async () => {
    const lows = [true, false, true, false, true];
    const renewal = ["2026-06-30", "2026-06-30", "2026-06-30", "2027-06-30", "2027-06-30"];
    const fired = await actionsOver(`  trigger t { when low  limit once_per_renewal  email "nudge" to email }`, days("2026-03-01", 5), (_, i) => `X,${lows[i]},a@x.io,${renewal[i]}`);
    expect(fired.map((a) => a.length)).toEqual([1, 0, 0, 0, 1]);
  });

  it("limit N per window counts entries in the window", async () => {
    const lows = [true, false, true, false, true, false, true];
    const fired = await actionsOver(`  trigger t { when low  limit 2 per 5d  email "nudge" to email }`, days("2026-03-01", 7), (_, i) => `X,${lows[i]},a@x.io,2026-12-31`);
    expect(fired.map((a) => a.length)).toEqual([1, 0, 1, 0, 0, 0, 1]);
  });

  it("enroll new leaves out accounts that already match when the trigger is first activated", async () => {
    const fired = await actionsOver(`  trigger t { when low  enroll new  email "nudge" to email }`, days("2026-03-01", 3), (_, i) => `X,${i !== 1},a@x.io,2026-12-31`);
    expect(fired.map((a) => a.length)).toEqual([0, 0, 1]);
  });

  it("enroll new still enrolls accounts that appear after the trigger's first day", async () => {
    const project = new TestProject({ "playbook.play": playbook(`  trigger t { when low  enroll new  email "nudge" to email }`), "accounts.csv": "account_id,low,email,renewal_date,done\nOLD,true,a@x.io,2026-12-31,false\n" });
    expect((await project.run("2026-03-01")).decisions.get("OLD")!.actions).toEqual([]);
    project.write("accounts.csv", "account_id,low,email,renewal_date,done\nOLD,true,a@x.io,2026-12-31,false\nNEW,true,b@x.io,2026-12-31,false\n");
    const next = (await project.run("2026-03-02")).decisions;
    expect(next.get("OLD")!.actions).toEqual([]);
    expect(next.get("NEW")!.actions.map((a) => a.status)).toEqual(["planned"]);
  });

  it("runs a sequence step by step with waits, and stops it when the goal is reached", async () => {
    const body = `  trigger seq {
    when low
    limit once
    goal done
    step { email "nudge" to email }
    step wait 2d { task "Call" }
    step wait 2d { webhook "https://hooks.example.com/x" }
  }`;
    const straight = await actionsOver(body, days("2026-03-01", 6), () => "X,true,a@x.io,2026-12-31,false");
    expect(straight).toEqual([["seq:email:planned"], [], ["seq:task:planned"], [], ["seq:webhook:planned"], []]);
    const stopped = await actionsOver(body, days("2026-03-01", 6), (_, i) => `X,true,a@x.io,2026-12-31,${i >= 2}`);
    expect(stopped).toEqual([["seq:email:planned"], [], [], [], [], []]);
  });
});

describe("holdouts, frequency caps and priorities", () => {
  it("holds out a stable share of accounts, the same ones on every run", async () => {
    const rows = Array.from({ length: 400 }, (_, i) => `A${i},true,a${i}@x.io,2026-12-31`).join("\n");
    const project = new TestProject({ "playbook.play": playbook(`  trigger t { when low  fire while_true  cooldown 1d  holdout 25%  email "nudge" to email }`), "accounts.csv": `account_id,low,email,renewal_date\n${rows}\n` });
    const heldOut = async (day: string) => [...(await project.run(day)).decisions.values()].filter((d) => d.actions[0]?.status === "held_out").map((d) => d.account);
    const first = await heldOut("2026-03-01");
    expect(first.length).toBeGreaterThan(70);
    expect(first.length).toBeLessThan(130);
    expect(await heldOut("2026-03-02")).toEqual(first);
  });

  it("lets the highest-priority actions through a frequency cap and records the others as capped", async () => {
    const body = `  template "other" { subject "Other" body "Hi" }
  trigger low_prio { when low  cooldown 1d  email "nudge" priority 10 to email }
  trigger high_prio priority 50 { when low  cooldown 1d  email "other" to email }
  trigger third { when low  cooldown 1d  email "nudge" priority 20 to email }
  policies { cap email 2 per 7d }`;
    const [first, second] = await actionsOver(body, days("2026-03-01", 2), () => "X,true,a@x.io,2026-12-31");
    expect(first).toEqual(["low_prio:email:capped", "high_prio:email:planned", "third:email:planned"]);
    expect(second).toEqual([]);
  });
});
