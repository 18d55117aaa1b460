import { beforeAll, describe, expect, it } from "vitest";
import { TestProject } from "../helpers/project.js";


const ONBOARDING = `playbook "o" {
  account {
    start: date
    setup: bool
    value: bool
    timezone: string = "UTC"
  }
  events { login }
  metric logins_today = count("login", 1d)
  metric logins_week = count("login", 7d)
  metric quiet_days = days_since_last("login") ?? -1
  onboarding from start due_soon 3d {
    setup_done  due 1mo                  done when setup
    first_value due 2w after setup_done  done when value
  }
}
`;

describe("onboarding milestones", () => {
  it("counts due dates in calendar months, clamped at month ends, and moves through due soon to overdue", async () => {
    const project = new TestProject({ "playbook.play": ONBOARDING, "accounts.csv": "account_id,start,setup,value\nM1,2026-01-31,false,false\n" });
    const status = async (day: string) => (await project.run(day, "--no-state")).decisions.get("M1")!.onboarding!.milestones.setup_done!;
    expect((await status("2026-02-24"))).toEqual({ status: "on_track", due: "2026-02-28", done_on: null });
    expect((await status("2026-02-25")).status).toBe("due_soon");
    expect((await status("2026-02-28")).status).toBe("due_soon");
    expect((await status("2026-03-01")).status).toBe("overdue");
  });

  it("makes a milestone due after another one is done, and measures completion and time to value", async () => {
    // Tracked from before the first milestone, so every done date is one the runs saw.
    const project = new TestProject({ "playbook.play": ONBOARDING, "accounts.csv": "account_id,start,setup,value\nM2,2026-01-31,false,false\n" });
    await project.run("2026-02-09");
    project.write("accounts.csv", "account_id,start,setup,value\nM2,2026-01-31,true,false\n");
    const first = (await project.run("2026-02-10")).decisions.get("M2")!.onboarding!;
    expect(first.milestones.setup_done).toEqual({ status: "done", due: "2026-02-28", done_on: "2026-02-10" });
    expect(first.milestones.first_value!.due).toBe("2026-02-24");
    expect(first.completion).toBe(0.5);
    project.write("accounts.csv", "account_id,start,setup,value\nM2,2026-01-31,true,true\n");
    const second = (await project.run("2026-02-20")).decisions.get("M2")!.onboarding!;
    expect(second).toMatchObject({ completion: 1, complete: true, time_to_value_days: 20 });
    // Done stays done even if the data later says otherwise.
    project.write("accounts.csv", "account_id,start,setup,value\nM2,2026-01-31,false,false\n");
    expect((await project.run("2026-02-21")).decisions.get("M2")!.onboarding!.complete).toBe(true);
  });
});

describe("time zones decide an account's local day", () => {
  const events = [
    "account_id,timestamp,type",
    // 02:00 UTC on 1 March is still 28 February in Los Angeles (UTC-8).
    "LA,2026-03-01T02:00:00Z,login",
    "TOKYO,2026-03-01T02:00:00Z,login",
    "UTC,2026-03-01T02:00:00Z,login",
  ].join("\n");
  const accounts = "account_id,start,setup,value,timezone\nLA,2026-01-01,true,true,America/Los_Angeles\nTOKYO,2026-01-01,true,true,Asia/Tokyo\nUTC,2026-01-01,true,true,UTC\n";

  it("counts an event in the day it happened where the account is", async () => {
    const project = new TestProject({ "playbook.play": ONBOARDING, "accounts.csv": accounts, "events.csv": events });
    const feb28 = (await project.run("2026-02-28", "--no-state")).decisions;
    const mar1 = (await project.run("2026-03-01", "--no-state")).decisions;
    expect([feb28, mar1].map((d) => d.get("LA")!.metrics.logins_today)).toEqual([1, 0]);
    expect([feb28, mar1].map((d) => d.get("TOKYO")!.metrics.logins_today)).toEqual([0, 1]);
    expect([feb28, mar1].map((d) => d.get("UTC")!.metrics.logins_today)).toEqual([0, 1]);
    expect(mar1.get("LA")!.metrics.quiet_days).toBe(1);
    expect(mar1.get("TOKYO")!.metrics.quiet_days).toBe(0);
    expect(feb28.get("UTC")!.metrics.quiet_days).toBe(-1);
  });

  it("keeps a week a week across a daylight-saving change", async () => {
    const dst = ["account_id,timestamp,type", "NY,2026-03-02T05:30:00Z,login", "NY,2026-03-08T12:00:00Z,login", "NY,2026-03-09T03:30:00Z,login"].join("\n");
    const project = new TestProject({ "playbook.play": ONBOARDING, "accounts.csv": "account_id,start,setup,value,timezone\nNY,2026-01-01,true,true,America/New_York\n", "events.csv": dst });
    // New York moves to summer time on 8 March 2026: 2 March 00:30 local is inside 2..8 March; 8 March 23:30 local too.
    expect((await project.run("2026-03-08", "--no-state")).decisions.get("NY")!.metrics.logins_week).toBe(3);
    expect((await project.run("2026-03-09", "--no-state")).decisions.get("NY")!.metrics.logins_week).toBe(2);
  });
});
