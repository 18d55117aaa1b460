import { beforeAll, describe, expect, it } from "vitest";
import { TestProject } from "../helpers/project.js";


const PLAYBOOK = `playbook "arith" {
  account {
    arr: money
    usage: number?
    nps: int?
    tickets: int
    champion_left: bool = false
    frozen: bool = false
  }
  health {
    usage     50% = scale(usage, 0 .. 100)
    sentiment 30% missing 50 = bands(nps) { 9 .. 10: 100, 7 .. 8: 60, else: 0 }
    support   20% missing zero = scale(tickets, 10 .. 0)
    cap yellow when champion_left
    cap 30 when frozen
    status green >= 70, yellow >= 40
  }
  tiers hysteresis 7d {
    high_touch when arr >= 100_000
    low_touch  when arr >= 20_000
    tech_touch otherwise
  }
}
`;

describe("health score arithmetic (worked by hand)", () => {
  const project = new TestProject({
    "playbook.play": PLAYBOOK,
    "accounts.csv": [
      "account_id,arr,usage,nps,tickets,champion_left,frozen",
      // 0.5*80 + 0.3*100 + 0.2*50 = 40 + 30 + 10 = 80 -> green
      "A1,150000,80,9,5,false,false",
      // usage missing (skip): sentiment 60, support 100 -> (0.3*60 + 0.2*100) / 0.5 = 76
      "A2,20000,,7,0,false,false",
      // nps missing -> 50: 0.5*40 + 0.3*50 + 0.2*0 = 35 -> red
      "A3,19999,40,,10,false,false",
      // 0.5*100 + 0.3*100 + 0.2*0 = 80 would be green, but the champion left: capped at yellow
      "A4,100000,100,9,10,true,false",
      // 0.5*100 + 0.3*100 + 0.2*100 = 100, capped at 30 -> red
      "A5,5,100,10,0,false,true",
      // 0.5*100 + 0.3*60 + 0.2*10 = 70: the lower bound of green is green
      "A6,5,100,7,9,false,false",
    ].join("\n"),
  });
  let decisions: Map<string, import("../helpers/project.js").Decision>;

  beforeAll(async () => {
    const result = (await project.run("2026-03-01", "--no-state"));
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    decisions = result.decisions;
  });

  it("weighs components and sets the status from the bands", async () => {
    expect(decisions.get("A1")!.health).toMatchObject({ score: 80, status: "green" });
    expect(decisions.get("A1")!.health!.components.usage).toMatchObject({ score: 80, contribution: 40 });
  });

  it("leaves out a component whose input is missing under `skip` and reweights the rest", async () => {
    const health = decisions.get("A2")!.health!;
    expect(health.score).toBe(76);
    expect(health.components.usage).toMatchObject({ score: null, missing: true, contribution: 0 });
    expect(health.components.sentiment!.contribution).toBe(36);
  });

  it("uses the missing-data score of a component when its input is missing", async () => {
    expect(decisions.get("A3")!.health).toMatchObject({ score: 35, status: "red" });
    expect(decisions.get("A3")!.health!.components.sentiment).toMatchObject({ score: 50, missing: true });
  });

  it("counts a score on a band's lower bound in that band", async () => {
    expect(decisions.get("A6")!.health).toMatchObject({ score: 70, status: "green" });
  });

  it("applies caps on status and on score", async () => {
    expect(decisions.get("A4")!.health).toMatchObject({ score: 80, status: "yellow" });
    expect(decisions.get("A4")!.health!.caps).toEqual(["at most yellow while champion_left"]);
    expect(decisions.get("A5")!.health).toMatchObject({ score: 30, status: "red" });
  });

  it("puts accounts in tiers by the first rule that matches, boundaries included", async () => {
    expect(decisions.get("A1")!.tier!.value).toBe("high_touch");
    expect(decisions.get("A4")!.tier!.value).toBe("high_touch");
    expect(decisions.get("A2")!.tier!.value).toBe("low_touch");
    expect(decisions.get("A3")!.tier!.value).toBe("tech_touch");
  });
});

describe("tier hysteresis across consecutive runs", () => {
  it("moves an account only once the new tier has held for the hysteresis period", async () => {
    const rows = (arr: number) => `account_id,arr,usage,nps,tickets\nB1,${arr},50,8,2\n`;
    const project = new TestProject({ "playbook.play": PLAYBOOK, "accounts.csv": rows(150_000) });
    expect((await project.run("2026-03-01")).decisions.get("B1")!.tier).toMatchObject({ value: "high_touch" });
    project.write("accounts.csv", rows(50_000));
    const tiers = [];
    for (const day of ["2026-03-02", "2026-03-05", "2026-03-08", "2026-03-09", "2026-03-10"]) tiers.push((await project.run(day)).decisions.get("B1")!.tier);
    expect(tiers.map((t) => t!.value)).toEqual(["high_touch", "high_touch", "high_touch", "low_touch", "low_touch"]);
    expect(tiers[0]).toMatchObject({ computed: "low_touch", pending: "low_touch" });
    // A move back before the period is over cancels it.
    project.write("accounts.csv", rows(10_000));
    expect((await project.run("2026-03-11")).decisions.get("B1")!.tier!.value).toBe("low_touch");
    project.write("accounts.csv", rows(50_000));
    expect((await project.run("2026-03-12")).decisions.get("B1")!.tier).toMatchObject({ value: "low_touch", pending: null });
  });
});
