import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { playbookJsonSchemaText } from "../../src/model/json-schema.js";

describe("schemas/playbook.schema.json", () => {
  it("is the schema generated from the zod model (run `npm run schema` after changing the model)", () => {
    const checkedIn = readFileSync(new URL("../../schemas/playbook.schema.json", import.meta.url), "utf8");
    expect(checkedIn).toBe(playbookJsonSchemaText());
  });
});
