import { dirname, resolve } from "node:path";
import { SourceFile, type Span } from "../../text/source.js";
import { closestName } from "../../text/suggest.js";
import type { CheckContext } from "./context.js";

/** `account.<field>` and `metrics.<name>` inside `{{ ... }}` and `{% ... %}`: what a template reads from an account. */
const PLACEHOLDER = /\{[{%]([\s\S]*?)[}%]\}/g;
const MEMBER = /\b(account|metrics)\.([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Template subjects, bodies and files name the account's fields and metrics
 * in their placeholders: each must exist, or the email would go out with a
 * blank where the name was misspelt. Checked against the data contract and
 * the metrics, with "did you mean".
 */
export function checkTemplatePlaceholders(ctx: CheckContext): void {
  const fields = Object.keys(ctx.model.account ?? {});
  const metrics = Object.keys(ctx.model.metrics ?? {});
  for (const [name, template] of Object.entries(ctx.model.templates ?? {})) {
    for (const key of ["subject", "body"] as const) {
      const text = template?.[key];
      if (typeof text !== "string") continue;
      const { map, entry, exact } = ctx.sources.locate(["templates", name, key]);
      const written = map.source.text.slice(entry.span.start, entry.span.end);
      // Where the file holds the text character for character (a quoted .play text, a plain YAML value), point at the name itself.
      const start = !exact ? undefined : entry.textOffset ?? (written === JSON.stringify(text) || written === `'${text}'` ? entry.span.start + 1 : written === text ? entry.span.start : undefined);
      for (const problem of unknownMembers(text, fields, metrics)) {
        const span: Span = start !== undefined ? { start: start + problem.offset + (problem.root ? problem.root.length + 1 : 0), end: start + problem.offset + problem.written.length } : entry.span;
        ctx.reportAt("TL2003", map.source, span, problem.message);
      }
    }
    if (typeof template?.file === "string") {
      const base = ctx.sources.locate(["templates", name, "file"]).map.source.path;
      const path = resolve(dirname(base), template.file);
      const text = ctx.readFile(path);
      if (typeof text !== "string") continue;
      const source = new SourceFile(path, text);
      for (const problem of unknownMembers(text, fields, metrics)) ctx.reportAt("TL2003", source, { start: problem.offset + (problem.root ? problem.root.length + 1 : 0), end: problem.offset + problem.written.length }, problem.message);
    }
  }
}

function unknownMembers(text: string, fields: readonly string[], metrics: readonly string[]): { offset: number; written: string; root: string; message: string }[] {
  const problems: { offset: number; written: string; root: string; message: string }[] = [];
  // `{{ x` with no `}}` before the next placeholder: the rest of the text would be read as part of it.
  for (const open of text.matchAll(/\{\{/g)) {
    const close = text.indexOf("}}", open.index! + 2);
    const next = text.indexOf("{{", open.index! + 2);
    if (close < 0 || (next >= 0 && next < close)) problems.push({ offset: open.index!, written: "{{", root: "", message: "this placeholder is not closed: end it with }}" });
  }
  // The name a value placeholder starts with: a field written without `account.`, or a misspelt `account`/`metrics`.
  for (const output of text.matchAll(/\{\{-?\s*([A-Za-z_][A-Za-z0-9_]*)(\.[A-Za-z_][A-Za-z0-9_]*)?/g)) {
    const head = output[1]!;
    const start = output.index! + output[0].indexOf(head);
    if (head === "account" || head === "metrics") continue;
    if (output[2] && closestName(head, ["account", "metrics"])) {
      const meant = closestName(head, ["account", "metrics"])!;
      problems.push({ offset: start, written: head, root: "", message: `\`${head}\` is not something a template can read; did you mean \`${meant}\`?` });
    } else if (!output[2] && fields.includes(head)) {
      problems.push({ offset: start, written: head, root: "", message: `\`${head}\` is a field of the account: write \`account.${head}\`` });
    } else if (!output[2] && metrics.includes(head)) {
      problems.push({ offset: start, written: head, root: "", message: `\`${head}\` is a metric: write \`metrics.${head}\`` });
    }
  }
  for (const placeholder of text.matchAll(PLACEHOLDER)) {
    const inner = placeholder[1]!;
    const innerStart = placeholder.index! + 2;
    for (const member of inner.matchAll(MEMBER)) {
      const [written, root, name] = member as unknown as [string, "account" | "metrics", string];
      const known = root === "account" ? fields : metrics;
      if (known.includes(name)) continue;
      const meant = closestName(name, known);
      const what = root === "account" ? "the data contract has no field" : "the playbook has no metric";
      problems.push({ offset: innerStart + member.index!, written, root, message: `${what} \`${name}\` (in \`${written}\`)${meant ? `; did you mean \`${root}.${meant}\`?` : ""}` });
    }
  }
  return problems;
}
