import { z } from "zod";
import { ProjectConfig } from "./project.js";

/** The JSON Schema of `touchline.yaml`, generated from the zod config (never edited by hand). */
export function projectJsonSchemaText(): string {
  const schema = z.toJSONSchema(ProjectConfig, { target: "draft-7", io: "input" }) as Record<string, unknown>;
  const document = {
    $schema: schema.$schema,
    $id: "https://touchline.dev/schemas/project.schema.json",
    title: "Touchline project (touchline.yaml)",
    description: "A project: its playbook, its data (accounts, events, overrides), its state file and its history for simulate and kpi.",
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== "$schema")),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
