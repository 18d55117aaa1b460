import { Document } from "yaml";
import { SECTION_ORDER, type Playbook } from "../../model/playbook.js";

/** Writes a playbook model as YAML, sections in the canonical order. */
export function printYaml(playbook: Playbook): string {
  const ordered: Record<string, unknown> = {};
  for (const key of SECTION_ORDER) if (playbook[key] !== undefined) ordered[key] = playbook[key];
  const doc = new Document(ordered);
  return doc.toString({ lineWidth: 0, indent: 2, indentSeq: true });
}
