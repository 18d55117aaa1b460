import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { playbookJsonSchemaText } from "../src/model/json-schema.js";
import { projectJsonSchemaText } from "../src/run/project-schema.js";
import { playbookValidatorModule } from "../src/language/validator-code.js";

for (const [name, text] of [["playbook.schema.json", playbookJsonSchemaText()], ["project.schema.json", projectJsonSchemaText()]] as const) {
  const target = fileURLToPath(new URL(`../../schemas/${name}`, import.meta.url));
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}

const validator = fileURLToPath(new URL("../../src/language/playbook-validator.generated.ts", import.meta.url));
writeFileSync(validator, playbookValidatorModule());
console.log(`wrote ${validator}`);
