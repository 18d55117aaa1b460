import { Ajv } from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";
import { playbookJsonSchema } from "../model/json-schema.js";

/**
 * The playbook's validator as a module (Ajv's standalone code), generated
 * ahead of time into playbook-validator.generated.ts by `npm run schema`:
 * compiling the schema at start-up took ~0.15 s of every command that
 * reads a playbook, loading the module ~0.02 s. A test holds it to the schema.
 */
export function playbookValidatorModule(): string {
  // Every error, with the value it is about.
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: false, code: { source: true, esm: true } });
  // The CommonJS module's default export, whichever way the loader hands it over.
  type Generate = (ajv: Ajv, validate: ReturnType<Ajv["compile"]>) => string;
  const module = standaloneCode as unknown as Generate | { default: Generate };
  const generate = typeof module === "function" ? module : module.default;
  const code = generate(ajv, ajv.compile(playbookJsonSchema()))
    .replace(/^"use strict";/, "")
    // Ajv's ESM output still requires its runtime helpers; this module is ESM.
    .replace(/require\("ajv\/dist\/runtime\/ucs2length"\)\.default/g, "ucs2length");
  if (/require\(/.test(code)) throw new Error("the playbook validator needs an Ajv runtime helper that is not imported: add it to playbookValidatorModule");
  return `// Generated from the playbook's JSON Schema by \`npm run schema\` (src/language/validator-code.ts): do not edit.
// @ts-nocheck
import * as ucs2lengthModule from "ajv/dist/runtime/ucs2length.js";
// A CommonJS module: Node hands over its exports object as the default, bundlers (the tests' loader) its default export.
const ucs2length = typeof ucs2lengthModule.default === "function" ? ucs2lengthModule.default : ucs2lengthModule.default.default;
${code}
`;
}
