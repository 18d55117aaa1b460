import { describe, expect, it } from "vitest";
import { TestProject, type Decision } from "../helpers/project.js";

/** One day's run through the CLI's entry point (its output as a person reads it, and the decisions it wrote). */
const runDay = (project: TestProject, day: string, ...extra: string[]) => project.run(day, ...extra);

type Action = Decision["actions"][number] & { send_at?: string };

describe("limit once_per_renewal follows the date it names", () => {
  const playbook = (limit: string) => `playbook "r" {
  account { contract_end: date  risky: bool }
  trigger call { when risky  fire while_true  limit ${limit}  task "Renewal call" }
}
`;
  it("enters once per value of that date, and again when it moves", async () => {
    const project = new TestProject({ "playbook.play": playbook("once_per_renewal(contract_end)"), "accounts.csv": "account_id,contract_end,risky\nR1,2026-06-30,true\n" });
    expect((await runDay(project, "2026-03-01")).decisions.get("R1")!.actions).toHaveLength(1);
    expect((await runDay(project, "2026-03-02")).decisions.get("R1")!.actions).toHaveLength(0);
    project.write("accounts.csv", "account_id,contract_end,risky\nR1,2027-06-30,true\n");
    expect((await runDay(project, "2026-03-03")).decisions.get("R1")!.actions).toHaveLength(1);
  });

  it("is refused by check when there is no date to follow", async () => {
    const project = new TestProject({ "playbook.play": playbook("once_per_renewal"), "accounts.csv": "" });
    const check = project.cli("check", "playbook.play");
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("TL4011 `limit once_per_renewal` of trigger `call` has no date to follow: write once_per_renewal(<date field>), e.g. once_per_renewal(contract_end)");
  });
});

describe("quiet hours and business days decide when a planned action goes out", () => {
  it("plans a Friday-night email for Monday morning in the account's zone, and says so; a CSM's task is not held", async () => {
    const project = new TestProject({
      "playbook.play": `playbook "q" {
  account { email: email  timezone: string = "UTC" }
  template "hi" { subject "Hi" body "Hello" }
  trigger hello { when true  limit once  email "hi" to email  task "Look at it" }
  policies { quiet_hours "20:00" to "08:00"  business_days_only }
}
`,
      "accounts.csv": "account_id,email,timezone\nB1,b@x.io,Europe/Berlin\nT1,t@x.io,Asia/Tokyo\n",
    });
    // 2026-03-06 is a Friday: the next day starts a weekend.
    const result = await runDay(project, "2026-03-06");
    const berlin = result.decisions.get("B1")!.actions as Action[];
    expect(berlin.find((a) => a.kind === "email")).toMatchObject({ send_at: "2026-03-09T08:00:00+01:00" });
    expect(berlin.find((a) => a.kind === "email")!.reason).toContain("goes out 2026-03-09T08:00:00+01:00 (business days only, quiet hours 20:00-08:00)");
    expect(berlin.find((a) => a.kind === "task")!.send_at).toBeUndefined();
    expect((result.decisions.get("T1")!.actions as Action[]).find((a) => a.kind === "email")!.send_at).toBe("2026-03-09T08:00:00+09:00");
  });

  it("without those policies, actions go out from the start of the next day", async () => {
    const project = new TestProject({
      "playbook.play": 'playbook "q" {\n  account { email: email }\n  template "hi" { subject "Hi" body "Hello" }\n  trigger hello { when true  limit once  email "hi" to email }\n}\n',
      "accounts.csv": "account_id,email\nA1,a@x.io\n",
    });
    expect(((await runDay(project, "2026-03-06")).decisions.get("A1")!.actions as Action[])[0]!.send_at).toBe("2026-03-07T00:00:00Z");
  });
});

describe("overrides are checked against the playbook", () => {
  it("refuses a duration beyond the maximum (from `created`, else from the day evaluated), a tier that does not exist, a status that is not one", async () => {
    const project = new TestProject({
      "playbook.play": `playbook "o" {
  account { n: int }
  health { usage 100% = scale(n, 0 .. 10) }
  tiers { big when n > 5  small otherwise }
  overrides { allow tier, health.status  max 30d }
}
`,
      "accounts.csv": "account_id,n\nA1,1\nA2,1\nA3,1\nA4,1\n",
      "overrides.csv": [
        "account_id,target,value,reason,owner,created,expires",
        "A1,tier,big,Exec sponsor,dana@x.io,2026-02-20,2026-03-15",
        "A2,tier,big,Exec sponsor,dana@x.io,2026-02-01,2026-04-30",
        "A3,tier,huge,Exec sponsor,dana@x.io,2026-02-20,2026-03-15",
        "A4,health.status,amber,Escalation,li@x.io,2026-02-20,2026-03-15",
      ].join("\n"),
    });
    const result = await runDay(project, "2026-03-01");
    expect(result.decisions.get("A1")!.tier!.value).toBe("big");
    expect(result.decisions.get("A2")!.tier!.value).toBe("small");
    expect(result.stdout).toContain("overrides.csv:3: field `expires`: lasts until 2026-04-30, 88 days after it was created; the playbook allows overrides of at most 30 days");
    expect(result.stdout).toContain('overrides.csv:4: field `value`: the tier "huge" does not exist in the playbook; it has `big`, `small`');
    expect(result.stdout).toContain('overrides.csv:5: field `value`: a status override is green, yellow or red, not "amber"');
    project.write("overrides.csv", "account_id,target,value,reason,owner,expires\nA1,tier,big,Exec sponsor,dana@x.io,2026-04-30\n");
    expect((await runDay(project, "2026-03-01")).stdout).toContain("overrides.csv:2: field `expires`: lasts until 2026-04-30, 60 days after the day evaluated (2026-03-01)");
  });
});

describe("time zones from the data", () => {
  it("an unknown zone and a blank one fall back to the project's zone (counted), never silently to UTC, even with a contract default", async () => {
    const project = new TestProject(
      {
        "playbook.play": 'playbook "z" {\n  account { email: email  timezone: string = "UTC" }\n  template "hi" { subject "Hi" body "Hello" }\n  trigger hello { when true  limit once  email "hi" to email }\n}\n',
        "accounts.csv": "account_id,email,timezone\nK,k@x.io,Europe/Berlin\nU,u@x.io,Mars/Olympus\nB,b@x.io,\n",
      },
      { timezone: "Asia/Tokyo" },
    );
    const result = await runDay(project, "2026-03-02");
    expect(result.stdout).toContain('warning: 1 account has a time zone nobody knows ("Mars/Olympus"): they are evaluated in the project\'s zone, Asia/Tokyo');
    const sendAt = (id: string) => (result.decisions.get(id)!.actions as Action[])[0]!.send_at;
    expect(sendAt("K")).toBe("2026-03-03T00:00:00+01:00");
    expect(sendAt("U")).toBe("2026-03-03T00:00:00+09:00");
    expect(sendAt("B")).toBe("2026-03-03T00:00:00+09:00");
  });
});

describe("status bands are decided on the score as shown", () => {
  it("a score that reads 70 is green under green >= 70, even when the sum is 69.99999999999999", async () => {
    const project = new TestProject({
      "playbook.play": `playbook "s" {
  account { n: number }
  health {
    a 1% = scale(n, 0 .. 100)
    b 2% = scale(n, 0 .. 100)
    c 97% = scale(n, 0 .. 100)
    status green >= 70, yellow >= 40
  }
}
`,
      "accounts.csv": "account_id,n\nS70,70\nS40,40\nS39,39.99\n",
    });
    const result = await runDay(project, "2026-03-01");
    expect(result.decisions.get("S70")!.health).toMatchObject({ score: 70, status: "green" });
    expect(result.decisions.get("S40")!.health).toMatchObject({ score: 40, status: "yellow" });
    expect(result.decisions.get("S39")!.health).toMatchObject({ score: 39.99, status: "red" });
  });
});

describe("suppression holds back what reaches the customer", () => {
  const playbook = (suppress: string) => `playbook "u" {
  account { email: email  unsubscribed: bool }
  template "hi" { subject "Hi" body "Hello" }
  offer "more" { discount 10% }
  trigger risk { when true  limit once  email "hi" to email  task "Call the account"  offer "more" }
  policies { ${suppress} }
}
`;
  it("emails and offers, not a CSM's task; a playbook may name what it holds back", async () => {
    const statuses = async (suppress: string) => {
      const project = new TestProject({ "playbook.play": playbook(suppress), "accounts.csv": "account_id,email,unsubscribed\nU1,u@x.io,true\n" });
      return Object.fromEntries((await runDay(project, "2026-03-01")).decisions.get("U1")!.actions.map((a) => [a.kind, a.status]));
    };
    expect(await statuses("suppress when unsubscribed")).toEqual({ email: "suppressed", task: "planned", offer: "suppressed" });
    expect(await statuses("suppress email, task when unsubscribed")).toEqual({ email: "suppressed", task: "suppressed", offer: "planned" });
  });
});

describe("an entry a cooldown holds back", () => {
  const playbook = (fire: string) => `playbook "c" {
  account { low: bool }
  trigger nudge { when low  fire ${fire}  cooldown 5d  task "Nudge" }
}
`;
  /** low on day 1, off on day 2, back on from day 3 (inside the cooldown) and staying on. */
  const fired = async (fire: string) => {
    const project = new TestProject({ "playbook.play": playbook(fire), "accounts.csv": "" });
    const days: string[] = [];
    for (const [i, day] of ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06", "2026-03-07"].entries()) {
      project.write("accounts.csv", `account_id,low\nC1,${i !== 1}\n`);
      if ((await runDay(project, day)).decisions.get("C1")!.actions.length > 0) days.push(day);
    }
    return days;
  };
  it("is dropped with fire on_enter: nothing fires until the condition turns off and on again", async () => {
    expect(await fired("on_enter")).toEqual(["2026-03-01"]);
  });
  it("fires when the cooldown ends with fire on_enter_catch_up, if the condition still holds", async () => {
    expect(await fired("on_enter_catch_up")).toEqual(["2026-03-01", "2026-03-06"]);
  });
});

describe("onboarding from the first run", () => {
  const playbook = `playbook "o" {
  account { start: date  setup: bool  value: bool }
  onboarding from start within 180d {
    setup_done  due 14d  done when setup
    first_value due 30d  done when value
  }
}
`;
  it("a milestone met when tracking starts is done before tracking: no invented date, no time to value; old customers are outside the window", async () => {
    const project = new TestProject({ "playbook.play": playbook, "accounts.csv": "account_id,start,setup,value\nNEW,2026-02-20,true,false\nOLD,2023-01-10,false,false\n" });
    const first = await runDay(project, "2026-03-01");
    const onboarding = first.decisions.get("NEW")!.onboarding!;
    expect(onboarding.milestones.setup_done).toEqual({ status: "done", due: "2026-03-06", done_on: null, before_tracking: true });
    expect(first.decisions.get("OLD")!.onboarding!.milestones).toMatchObject({ setup_done: { status: "outside_window" }, first_value: { status: "outside_window" } });
    expect(first.stdout).toContain("Onboarding: no milestone is overdue.");
    project.write("accounts.csv", "account_id,start,setup,value\nNEW,2026-02-20,true,true\nOLD,2023-01-10,false,false\n");
    const second = (await runDay(project, "2026-03-04")).decisions.get("NEW")!.onboarding!;
    expect(second.milestones.first_value).toEqual({ status: "done", due: "2026-03-22", done_on: "2026-03-04" });
    expect(second.complete).toBe(true);
    expect(second.time_to_value_days).toBeNull();
  });

  it("a milestone due after one done before tracking is due from the day tracking began, and stays so on later days", async () => {
    const after = `playbook "a" {
  account { start: date  setup: bool  value: bool }
  onboarding from start {
    setup_done  due 14d                      done when setup
    first_value due 30d after setup_done      done when value
  }
}
`;
    const project = new TestProject({ "playbook.play": after, "accounts.csv": "account_id,start,setup,value\nA,2026-01-01,true,false\n" });
    const dues = [];
    for (const day of ["2026-03-01", "2026-03-05"]) {
      const milestones = (await runDay(project, day)).decisions.get("A")!.onboarding!.milestones;
      expect(milestones.setup_done).toMatchObject({ due: "2026-01-15", before_tracking: true });
      dues.push(milestones.first_value);
    }
    // setup_done's real done day is unknown: the latest it can be (the first tracked day) counts, so no guess makes the account overdue.
    expect(dues).toEqual([{ status: "on_track", due: "2026-03-31", done_on: null }, { status: "on_track", due: "2026-03-31", done_on: null }]);
  });

  it("an account tracked from its start gets its real time to value", async () => {
    const project = new TestProject({ "playbook.play": playbook, "accounts.csv": "account_id,start,setup,value\nA,2026-02-20,false,false\n" });
    await runDay(project, "2026-02-21");
    project.write("accounts.csv", "account_id,start,setup,value\nA,2026-02-20,true,true\n");
    expect((await runDay(project, "2026-03-01")).decisions.get("A")!.onboarding!.time_to_value_days).toBe(9);
  });
});

describe("explain --since", () => {
  const playbook = (usage: string, other: string) => `playbook "e" {
  account { usage: number  other: number }
  health {
    usage ${usage} = scale(usage, 0 .. 100)
    other ${other} = scale(other, 0 .. 100)
    status green >= 70, yellow >= 40
  }
}
`;
  it("splits a change into the playbook's part and the data's part, checked by hand", async () => {
    const project = new TestProject({ "playbook.play": playbook("50%", "50%"), "accounts.csv": "account_id,usage,other\nE1,80,20\n" });
    await runDay(project, "2026-03-01");
    // The data moves (usage 80 -> 30) and the playbook moves (usage weighs 75%).
    project.write("accounts.csv", "account_id,usage,other\nE1,30,20\n");
    project.write("playbook.play", playbook("75%", "25%"));
    const explained = project.cli("explain", ".", "E1", "--as-of", "2026-03-08", "--since", "7d");
    expect(explained.code, explained.stderr).toBe(0);
    // Before: 0.5*80 + 0.5*20 = 50. The same inputs under the new weights: 0.75*80 + 0.25*20 = 65 (+15).
    // Today: 0.75*30 + 0.25*20 = 27.5 (-37.5 from the data). In all 50 -> 27.5 = -22.5.
    expect(explained.stdout).toContain("score 50 -> 27.5 (-22.5): +15 from the playbook edit (usage weight 50% -> 75%, other weight 50% -> 25%), -37.5 from the data (usage 80 -> 30)");
    expect(explained.stdout).toMatch(/usage\s+80 x 50%\s+30 x 75%\s+40 -> 22.5/);
    expect(explained.stdout).toContain("2026-03-08: status yellow -> red");
  });

  it("shows the week's drop on daily runs although yesterday's score is the same as today's", async () => {
    const project = new TestProject({ "playbook.play": playbook("50%", "50%"), "accounts.csv": "account_id,usage,other\nE1,90,90\n" });
    const usage = [90, 90, 60, 40, 40, 40, 40, 40];
    for (const [i, u] of usage.entries()) {
      project.write("accounts.csv", `account_id,usage,other\nE1,${u},90\n`);
      await runDay(project, `2026-03-0${i + 1}`);
    }
    const explained = project.cli("explain", ".", "E1", "--as-of", "2026-03-08", "--since", "7d");
    expect(explained.stdout).toContain("Since 2026-03-01:");
    expect(explained.stdout).toContain("score 90 -> 65 (-25): -25 from the data (usage 90 -> 40)");
    expect(explained.stdout).toContain("2026-03-04: status green -> yellow");
    expect(explained.stdout).toContain("Since the previous run:\n  score unchanged since 2026-03-07");
  });

  it("says when the day explained is before the latest run, and what was remembered for it", async () => {
    const project = new TestProject({ "playbook.play": playbook("50%", "50%"), "accounts.csv": "account_id,usage,other\nE1,80,20\n" });
    await runDay(project, "2026-03-01");
    project.write("accounts.csv", "account_id,usage,other\nE1,10,20\n");
    await runDay(project, "2026-03-05");
    const explained = project.cli("explain", ".", "E1", "--as-of", "2026-03-03");
    expect(explained.stdout).toContain("2026-03-03 is before the latest run (2026-03-05): recomputed below with today's data and playbook");
    expect(explained.stdout).toContain("Remembered for that day (from 2026-03-01): score 50 (yellow)");
  });
});

describe("the run's summary", () => {
  it("counts actions by trigger and action, lists the first 20 with the part of the condition that decided, and says how many more", async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `A${i},${i % 10},a${i}@x.io`).join("\n");
    const project = new TestProject({
      "playbook.play": 'playbook "s" {\n  account { n: int  email: email }\n  template "hi" { subject "Hi" body "Hello" }\n  trigger low_usage { when n < 8 and n >= 0  limit once  email "hi" to email }\n}\n',
      "accounts.csv": `account_id,n,email\n${rows}\n`,
    });
    const result = project.cli("run", ".", "--as-of", "2026-03-01", "--no-state");
    expect(result.stdout).toMatch(/low_usage\s+email hi\s+24\s+0\s+0\s+0/);
    expect(result.stdout).toContain("First 20 actions:");
    expect(result.stdout).toContain("n < 8 (n = 0) and n >= 0 (n = 0) became true");
    expect(result.stdout).toContain("... 4 more in --out decisions.jsonl");
  });

  it("says a scoped trigger's condition holds in scope, not that it became true: the account may have entered the scope instead", async () => {
    const project = new TestProject({
      "playbook.play": 'playbook "s" {\n  account { n: int  flagged: bool }\n  segment renewal = n > 5\n  trigger call {\n    for renewal\n    when flagged\n    limit once\n    enroll existing\n    task \"Call\"\n  }\n}\n',
      "accounts.csv": "account_id,n,flagged\nA1,3,true\n",
    });
    expect((await project.run("2026-03-01")).decisions.get("A1")!.actions).toEqual([]);
    project.write("accounts.csv", "account_id,n,flagged\nA1,9,true\n");
    const entered = await project.run("2026-03-02");
    expect(entered.decisions.get("A1")!.actions.map((a) => a.reason)).toEqual(["flagged holds, in scope (segment renewal)"]);
  });
});
