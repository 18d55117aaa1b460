import { describe, expect, it } from "vitest";
import { renderRejectGroups } from "../../src/cli/run-command.js";
import type { RejectGroup } from "../../src/data/rejects.js";

/** A column where every one of 10 rows fails with `kind`. */
function hintFor(field: string, kind: string, message: string): string | undefined {
  const group: RejectGroup = { file: "accounts.csv", field, kind, count: 10, examples: [2, 3, 4].map((line) => ({ line, message })) };
  return renderRejectGroups([group], 10).find((line) => line.includes("most rows fail the same way"))?.trim();
}

describe("the hint under a column where most rows fail alike", () => {
  it("names the fix for the kind of problem, not a type for every one", () => {
    expect(hintFor("customer_id", "duplicate", "duplicate account id 00002 (first on line 3); this row is skipped")).toContain("several rows per `customer_id`");
    expect(hintFor("sub_end", "missing", "is missing required field `sub_end`")).toContain("make `sub_end` optional in the playbook's account block (sub_end: <type>?)");
    expect(hintFor("signup", "date", 'expected a date as YYYY-MM-DD, got "10/16/2024"')).toContain("dates are read as ISO 8601");
    expect(hintFor("monthly", "whole", 'expected a whole number, got "29.85", which has decimals')).toContain("declare `monthly` as number or money");
    expect(hintFor("plan", "enum", 'expected one of basic, pro, got "Pro Plan"')).toContain('declare `plan` with the type its values have (string, bool?...), or map its values in touchline.yaml (values: { plan: { "as exported": value } })');
  });
});
