import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { playbookJsonSchemaText } from "../src/model/json-schema.js";

const target = fileURLToPath(new URL("../../schemas/playbook.schema.json", import.meta.url));
writeFileSync(target, playbookJsonSchemaText());
console.log(`wrote ${target}`);
