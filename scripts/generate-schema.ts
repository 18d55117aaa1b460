import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { playbookJsonSchemaText } from "../src/model/json-schema.js";
import { projectJsonSchemaText } from "../src/run/project-schema.js";

for (const [name, text] of [["playbook.schema.json", playbookJsonSchemaText()], ["project.schema.json", projectJsonSchemaText()]] as const) {
  const target = fileURLToPath(new URL(`../../schemas/${name}`, import.meta.url));
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
