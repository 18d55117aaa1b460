import { mkdirSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TestProject } from "../helpers/project.js";

/** Texts that would break SQL built by pasting: quotes, comments, statement ends. */
const EVIL = `x'); DROP TABLE acc; --`;
const EVIL_COLUMN = `ARR "USD"; DROP TABLE aggs; --`;

describe("names and values from users never become SQL", () => {
  it("file names, column names, mapped values, enum values, fixed event types and filter texts with quotes and SQL in them", async () => {
    const playbook = `playbook "hostile" {
  account {
    arr: money
    plan: enum("O'Brien plan", "say \\"hi\\"", basic)
  }
  events {
    "usage-v1.0" { note: string  minutes: number }
  }
  metric quoted = count("usage-v1.0", 30d, where note == ${JSON.stringify(EVIL)})
  metric minutes = sum("usage-v1.0", "minutes", 30d, where note != "'; SELECT 1; --")
  segment obrien = plan == "O'Brien plan"
  health { value 100% = scale(arr, 0 .. 1000) }
}
`;
    const folder = `data 'quoted" $dir`;
    const project = new TestProject(
      { "playbook.play": playbook, "accounts.csv": "" },
      {
        accounts: { file: `${folder}/acc'ounts "1".csv`, columns: { arr: EVIL_COLUMN }, values: { plan: { [EVIL]: "O'Brien plan", "Quote \"x\"": 'say "hi"' } } },
        events: [
          { file: `${folder}/events '1'.csv`, type: "usage-v1.0", timestamp: "when's", properties: { note: "note'; --" } },
          { file: `${folder}/events '1'.csv`, type: EVIL, timestamp: "when's" },
        ],
      },
    );
    mkdirSync(project.path(folder));
    writeFileSync(
      project.path(`${folder}/acc'ounts "1".csv`),
      `account_id,"${EVIL_COLUMN.replace(/"/g, '""')}",plan\nA1,500,"${EVIL}"\nA2,1000,"Quote ""x"""\nA3,0,basic\n`,
    );
    writeFileSync(
      project.path(`${folder}/events '1'.csv`),
      `account_id,when's,"note'; --",minutes\nA1,2026-02-28T10:00:00Z,"${EVIL}",5\nA1,2026-02-28T11:00:00Z,other,7\nA2,2026-02-28T11:00:00Z,"'; SELECT 1; --",9\n`,
    );
    const run = (await project.run("2026-03-01", "--no-state"));
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/rejected/);
    // The second source's type is not declared: its events are counted and left out, its name only ever a value.
    expect(run.stdout).toContain(`3 events of types the playbook's \`events\` does not declare were ignored (${EVIL})`);
    expect(run.decisions.get("A1")!.segments.obrien).toBe(true);
    expect(run.decisions.get("A1")!.metrics).toMatchObject({ quoted: 1, minutes: 12 });
    expect(run.decisions.get("A2")!.metrics).toMatchObject({ quoted: 0, minutes: 0 });
    expect(run.decisions.get("A2")!.health!.score).toBe(100);
    expect([...run.decisions.keys()]).toEqual(["A1", "A2", "A3"]);
  });
});
