import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { playbookJsonSchemaText } from "../../src/model/json-schema.js";
import { projectJsonSchemaText } from "../../src/run/project-schema.js";
import { playbookValidatorModule } from "../../src/language/validator-code.js";

const checkedIn = (name: string) => readFileSync(new URL(`../../schemas/${name}`, import.meta.url), "utf8");

describe("schemas/playbook.schema.json", () => {
  it("is the schema generated from the zod model (run `npm run schema` after changing the model)", () => {
    expect(checkedIn("playbook.schema.json")).toBe(playbookJsonSchemaText());
  });

  it("is what the ahead-of-time validator was generated from (run `npm run schema` after changing the model)", () => {
    expect(readFileSync(new URL("../../src/language/playbook-validator.generated.ts", import.meta.url), "utf8")).toBe(playbookValidatorModule());
  });

  it("describes every setting, so YAML editors can show it on hover", () => {
    const undescribed: string[] = [];
    const walk = (node: Record<string, unknown> | undefined, path: string): void => {
      if (!node || typeof node !== "object") return;
      const properties = node.properties as Record<string, Record<string, unknown>> | undefined;
      for (const [key, value] of Object.entries(properties ?? {})) {
        const options = (value.anyOf ?? value.oneOf ?? []) as Record<string, unknown>[];
        if (!value.description && !options.some((o) => o.description)) undescribed.push(`${path}.${key}`);
        walk(value, `${path}.${key}`);
      }
      for (const key of ["items", "additionalProperties"]) walk(node[key] as Record<string, unknown> | undefined, `${path}[]`);
      for (const key of ["anyOf", "oneOf", "allOf"]) for (const option of (node[key] ?? []) as Record<string, unknown>[]) walk(option, path);
    };
    walk(JSON.parse(checkedIn("playbook.schema.json")) as Record<string, unknown>, "");
    expect(undescribed).toEqual([]);
  });
});

describe("schemas/project.schema.json", () => {
  it("is the schema generated from the project config (run `npm run schema` after changing it)", () => {
    expect(checkedIn("project.schema.json")).toBe(projectJsonSchemaText());
  });

  it("accepts every bundled project, history included, and refuses a misspelt history key", () => {
    // The schema says `format: uri` where touchline.yaml needs a URL, as a YAML editor would check it.
    const validate = new Ajv({ strict: false }).addFormat("uri", (text: string) => URL.canParse(text)).compile(JSON.parse(checkedIn("project.schema.json")) as object);
    for (const example of ["saas-b2b", "ravenstack", "telco"]) {
      const config = parse(readFileSync(new URL(`../../examples/${example}/touchline.yaml`, import.meta.url), "utf8")) as unknown;
      expect(validate(config), `${example}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    expect(validate({ playbook: "p.play", accounts: "a.csv", history: { snapshot: "s.csv" } })).toBe(false);
    expect(validate({ playbook: "p.play", accounts: "a.csv", delivery: { unsubscribe_url: "not a url" } })).toBe(false);
    expect(validate({ playbook: "p.play", accounts: "a.csv", delivery: { unsubscribe_url: "https://vendor.example/u" } })).toBe(true);
  });
});
