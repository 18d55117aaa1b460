import { z } from "zod";
import { Playbook } from "./playbook.js";

/** The JSON Schema of the YAML form, generated from the zod model (never edited by hand). */
export function playbookJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(Playbook, { target: "draft-7" }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: "https://touchline.dev/schemas/playbook.schema.json",
    title: "Touchline playbook",
    description: "A customer-success playbook: data contract, health score, tiers, onboarding and triggers.",
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== "$schema")),
  };
}

/** The schema as it is checked in: stable key order and a trailing newline. */
export function playbookJsonSchemaText(): string {
  return `${JSON.stringify(playbookJsonSchema(), null, 2)}\n`;
}
