import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { Io } from "../../src/cli/output.js";

/** Names that reach into JavaScript's objects, or that tools mangle. */
const HOSTILE_NAMES = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "prototype", "isPrototypeOf", "__defineGetter__", "n", "x_1", "tier", "health", "a\u2028b", "é", "TO_STRING"];
const HOSTILE_TEXT = ["", "'", '"', "\\", "x\u2028y", "\u0000", "{{ account.n }}", "'); DROP TABLE acc; --", "\" OR 1=1 --", "😀", "a\nb"];
const HOSTILE_NUMBERS = ["1e309", "9e999", "-0", "9007199254740993", "1e-400", "0.1", "100_000", "1__0", "NaN", "Infinity", "-5"];

const quoted = (text: string) => JSON.stringify(text);

/** Now and then a hostile value, mostly a plain one: enough playbooks pass check to reach run. */
const mostly = <T>(plain: T, hostile: readonly T[]) => fc.oneof({ arbitrary: fc.constant(plain), weight: 6 }, { arbitrary: fc.constantFrom(...hostile), weight: 1 });
const name = (plain: string) => mostly(plain, HOSTILE_NAMES);

const hostilePlaybook = fc
  .record({
    field: name("seats"),
    metric: name("total"),
    trigger: name("nudge"),
    tier: name("big"),
    template: name("hello"),
    event: mostly("login", ["a'b", "x.y", "__proto__"]),
    text: fc.constantFrom(...HOSTILE_TEXT),
    number: mostly("5", HOSTILE_NUMBERS),
    enumValue: mostly("basic", HOSTILE_TEXT),
  })
  .map(({ field, metric, trigger, tier, template, event, text, number, enumValue }) => ({ field, event, text: `playbook "fuzz" {
  account { ${field}: int  n: number  plan: enum(${quoted(enumValue)}, other)  email: email }
  events { ${quoted(event)} { minutes: number } }
  metric ${metric} = sum(${quoted(event)}, "minutes", 7d) + ${number}
  health { usage 100% = scale(n, 0 .. ${number}) }
  tiers { ${tier} when n > ${number}  rest otherwise }
  template ${quoted(template)} { subject ${quoted(text)} body ${quoted(text)} }
  trigger ${trigger} { when n > 1 and plan == ${quoted(enumValue)}  cooldown 7d  email ${quoted(template)} to email }
}
` }));

const hostileRows = fc.array(
  fc.record({
    id: fc.constantFrom("A1", "A2", "__proto__", "constructor", " A1 ", "", "a\u2028b", "'", '"x"'),
    n: fc.constantFrom(...HOSTILE_NUMBERS, "", "3", "abc"),
    plan: fc.constantFrom(...HOSTILE_TEXT, "basic", "other"),
    minutes: fc.constantFrom(...HOSTILE_NUMBERS, "", "12"),
  }),
  { maxLength: 8 },
);

/** CSV quoting as spreadsheets write it. */
const cell = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

function capture(): Io & { text: () => string } {
  let text = "";
  return { out: (t) => (text += `${t}\n`), err: (t) => (text += `${t}\n`), color: false, text: () => text };
}

describe("hostile playbooks and data never crash Touchline", () => {
  it("check refuses the playbook, or run succeeds (or refuses the data) on two consecutive days: never an internal error", async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(hostilePlaybook, hostileRows, async ({ text: playbook, field: fieldName, event }, rows) => {
        const dir = mkdtempSync(join(tmpdir(), "touchline-fuzz-"));
        writeFileSync(join(dir, "playbook.play"), playbook);
        writeFileSync(join(dir, "accounts.csv"), `account_id,${cell(fieldName)},n,plan,email\n${rows.map((r) => [r.id, r.n, r.n, r.plan, "a@x.io"].map(cell).join(",")).join("\n")}\n`);
        writeFileSync(join(dir, "events.csv"), `account_id,timestamp,type,minutes\n${rows.map((r) => [r.id, "2026-02-28T10:00:00Z", event, r.minutes].map(cell).join(",")).join("\n")}\n`);
        writeFileSync(join(dir, "touchline.yaml"), "playbook: playbook.play\naccounts: accounts.csv\nevents: events.csv\n");
        const check = capture();
        const checked = await main(["check", join(dir, "playbook.play")], check);
        expect(checked, check.text()).not.toBe(3);
        expect(check.text()).not.toContain("internal error");
        if (checked !== 0) return;
        runs++;
        for (const day of ["2026-03-01", "2026-03-02"]) {
          const io = capture();
          const code = await main(["run", dir, "--as-of", day, "--out", join(dir, `${day}.jsonl`)], io);
          expect(code, `${playbook}\n${io.text()}`).not.toBe(3);
          expect([0, 1]).toContain(code);
          expect(io.text()).not.toContain("internal error");
        }
      }),
      { numRuns: 80 },
    );
    expect(runs).toBeGreaterThan(10);
  }, 300_000);
});
