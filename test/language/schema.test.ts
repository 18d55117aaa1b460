import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { playbookJsonSchemaText } from "../../src/model/json-schema.js";
import { projectJsonSchemaText } from "../../src/run/project-schema.js";

const checkedIn = (name: string) => readFileSync(new URL(`../../schemas/${name}`, import.meta.url), "utf8");

describe("schemas/playbook.schema.json", () => {
  it("is the schema generated from the zod model (run `npm run schema` after changing the model)", () => {
    expect(checkedIn("playbook.schema.json")).toBe(playbookJsonSchemaText());
  });
});

describe("schemas/project.schema.json", () => {
  it("is the schema generated from the project config (run `npm run schema` after changing it)", () => {
    expect(checkedIn("project.schema.json")).toBe(projectJsonSchemaText());
  });

  it("accepts every bundled project, history included, and refuses a misspelt history key", () => {
    const validate = new Ajv({ strict: false }).compile(JSON.parse(checkedIn("project.schema.json")) as object);
    for (const example of ["saas-b2b", "ravenstack", "telco"]) {
      const config = parse(readFileSync(new URL(`../../examples/${example}/touchline.yaml`, import.meta.url), "utf8")) as unknown;
      expect(validate(config), `${example}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    expect(validate({ playbook: "p.play", accounts: "a.csv", history: { snapshot: "s.csv" } })).toBe(false);
  });
});
