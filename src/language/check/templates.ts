import { dirname, resolve } from "node:path";
import { SourceFile, type Span } from "../../text/source.js";
import { closestName } from "../../text/suggest.js";
import { isHtml, parseLiquid } from "../liquid.js";
import type { CheckContext } from "./context.js";

/** `account.<field>` and `metrics.<name>` inside `{{ ... }}` and `{% ... %}`: what a template reads from an account. */
const PLACEHOLDER = /\{[{%]([\s\S]*?)[}%]\}/g;
/** What a template is rendered with (see src/actions/render.ts). */
export const TEMPLATE_ROOTS = ["account", "metrics", "health", "tier", "offer", "unsubscribe_url", "playbook", "trigger", "today"] as const;
const UNSUBSCRIBE_LINK = /\{\{-?\s*unsubscribe_url\b/;
const MEMBER = /(?<![\w.])(account|metrics|health|offer|tier)\.([A-Za-z_][A-Za-z0-9_]*)(\.[A-Za-z_][A-Za-z0-9_]*)?/g;
/** What `health` and `offer` have (see src/actions/render.ts). */
export const TEMPLATE_HEALTH_MEMBERS = ["score", "status", "model"];
export const TEMPLATE_OFFER_MEMBERS = ["offer_id", "offer", "product", "discount", "expires", "account"];
/** A whole object printed where a value belongs: `{{ metrics }}` would print [object Object]. */
const BARE_OBJECT = /\{\{-?\s*(account|metrics|health|offer)\s*-?\}\}/g;

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
    for (const key of ["subject", "body", "text"] as const) {
      const text = template?.[key];
      if (typeof text !== "string") continue;
      const { map, entry, exact } = ctx.sources.locate(["templates", name, key]);
      const written = map.source.text.slice(entry.span.start, entry.span.end);
      // Where the file holds the text character for character (a quoted .play text, a plain YAML value), point at the name itself.
      const start = !exact ? undefined : entry.textOffset ?? (written === JSON.stringify(text) || written === `'${text}'` ? entry.span.start + 1 : written === text ? entry.span.start : undefined);
      const problems = unknownMembers(text, fields, metrics);
      // Fields and metrics named here are references: hover, go to definition, find references and rename reach them.
      if (start !== undefined) {
        for (const used of knownMembers(text, fields, metrics)) ctx.symbols.reference({ kind: used.kind, name: used.name, file: map.source.path, span: { start: start + used.offset, end: start + used.offset + used.name.length } });
      }
      for (const problem of problems) {
        const span: Span = start !== undefined ? { start: start + problem.offset + (problem.root ? problem.root.length + 1 : 0), end: start + problem.offset + problem.written.length } : entry.span;
        ctx.reportAt("TL2003", map.source, span, problem.message);
      }
      // An unclosed placeholder is already said, and Liquid would only say it again less clearly.
      const parsed = problems.some((p) => p.written === "{{") ? { templates: [] } : parseLiquid(text, key === "body" && isHtml(text));
      if ("problem" in parsed) {
        const at = start !== undefined ? { start: start + parsed.problem.offset, end: start + parsed.problem.offset + 2 } : entry.span;
        ctx.reportAt("TL2024", map.source, at, `this template cannot be read: ${parsed.problem.message}`);
      }
    }
    let linked = [template?.subject, template?.body, template?.text].some((text) => typeof text === "string" && UNSUBSCRIBE_LINK.test(text));
    if (typeof template?.file === "string") {
      const base = ctx.sources.locate(["templates", name, "file"]).map.source.path;
      const path = resolve(dirname(base), template.file);
      const text = ctx.readFile(path);
      // A file that cannot be read is reported where it is named; whether it links to unsubscribing is not known.
      if (typeof text !== "string") continue;
      const source = new SourceFile(path, text);
      const problems = unknownMembers(text, fields, metrics);
      for (const problem of problems) ctx.reportAt("TL2003", source, { start: problem.offset + (problem.root ? problem.root.length + 1 : 0), end: problem.offset + problem.written.length }, problem.message);
      const parsed = problems.some((p) => p.written === "{{") ? { templates: [] } : parseLiquid(text, isHtml(text));
      if ("problem" in parsed) ctx.reportAt("TL2024", source, { start: parsed.problem.offset, end: Math.min(text.length, parsed.problem.offset + 2) }, `this template cannot be read: ${parsed.problem.message}`);
      linked ||= UNSUBSCRIBE_LINK.test(text);
    }
    if (!linked && template && template.transactional !== true && typeof template.subject === "string") {
      const { map, entry } = ctx.sources.locate(["templates", name]);
      ctx.reportAt(
        "TL4012",
        map.source,
        entry.keySpan ?? entry.span,
        `the email \`${name}\` has no unsubscribe link: place {{ unsubscribe_url }} in it (a footer with the link is added when it is sent), or mark it transactional if the customer needs it whatever they chose`,
      );
    }
  }
}

/** Each `<root>.<name>` inside a template text's placeholders, with where it is written (from the root). */
function* placeholderMembers(text: string): Generator<{ written: string; root: "account" | "metrics" | "health" | "offer" | "tier"; name: string; further: string | undefined; offset: number }> {
  for (const placeholder of text.matchAll(PLACEHOLDER)) {
    const innerStart = placeholder.index! + 2;
    for (const member of placeholder[1]!.matchAll(MEMBER)) {
      const [written, root, name, further] = member as unknown as [string, "account" | "metrics" | "health" | "offer" | "tier", string, string | undefined];
      yield { written, root, name, further, offset: innerStart + member.index! };
    }
  }
}

/** Each `account.<field>` and `metrics.<metric>` of a template text that names one the playbook has: where its name starts. */
function knownMembers(text: string, fields: readonly string[], metrics: readonly string[]): { kind: "field" | "metric"; name: string; offset: number }[] {
  const found: { kind: "field" | "metric"; name: string; offset: number }[] = [];
  for (const { root, name, offset } of placeholderMembers(text)) {
    const kind = root === "account" && fields.includes(name) ? "field" : root === "metrics" && metrics.includes(name) ? "metric" : undefined;
    if (kind) found.push({ kind, name, offset: offset + root.length + 1 });
  }
  return found;
}

function unknownMembers(text: string, fields: readonly string[], metrics: readonly string[]): { offset: number; written: string; root: string; message: string }[] {
  const problems: { offset: number; written: string; root: string; message: string }[] = [];
  // `{{ x` with no `}}` before the next placeholder: the rest of the text would be read as part of it.
  for (const open of text.matchAll(/\{\{/g)) {
    const close = text.indexOf("}}", open.index! + 2);
    const next = text.indexOf("{{", open.index! + 2);
    if (close < 0 || (next >= 0 && next < close)) problems.push({ offset: open.index!, written: "{{", root: "", message: "this placeholder is not closed: end it with }}" });
  }
  // Names a template defines for itself: {% assign x = ... %}, {% capture x %}, {% for x in ... %}.
  const local = new Set<string>(["forloop", "tablerowloop"]);
  for (const defined of text.matchAll(/\{%-?\s*(?:assign|capture|for|tablerow)\s+([A-Za-z_][A-Za-z0-9_]*)/g)) local.add(defined[1]!);
  // The name a value placeholder starts with: a field written without `account.`, or a misspelt `account`/`metrics`.
  for (const output of text.matchAll(/\{\{-?\s*([A-Za-z_][A-Za-z0-9_]*)(\.[A-Za-z_][A-Za-z0-9_]*)?/g)) {
    const head = output[1]!;
    const start = output.index! + output[0].indexOf(head);
    if ((TEMPLATE_ROOTS as readonly string[]).includes(head) || local.has(head)) continue;
    if (!output[2] && fields.includes(head)) {
      problems.push({ offset: start, written: head, root: "", message: `\`${head}\` is a field of the account: write \`account.${head}\`` });
    } else if (!output[2] && metrics.includes(head)) {
      problems.push({ offset: start, written: head, root: "", message: `\`${head}\` is a metric: write \`metrics.${head}\`` });
    } else {
      const meant = closestName(head, TEMPLATE_ROOTS);
      problems.push({
        offset: start,
        written: head,
        root: "",
        message: `\`${head}\` is not something a template can read, so it would be left blank${meant ? `; did you mean \`${meant}\`?` : `: templates read ${TEMPLATE_ROOTS.map((r) => `\`${r}\``).join(", ")}`}`,
      });
    }
  }
  for (const { written, root, name, further, offset } of placeholderMembers(text)) {
    if (root === "tier") {
      problems.push({ offset, written, root, message: `\`tier\` is the tier's name and has no \`${name}\`: write {{ tier }}` });
      continue;
    }
    const known = root === "account" ? [...fields, "id"] : root === "metrics" ? metrics : root === "health" ? TEMPLATE_HEALTH_MEMBERS : TEMPLATE_OFFER_MEMBERS;
    if (root === "account" && !known.includes(name) && metrics.includes(name)) {
      problems.push({ offset, written, root, message: `\`${name}\` is a metric, not a field of the account: write \`metrics.${name}\`` });
    } else if (root === "metrics" && !known.includes(name) && fields.includes(name)) {
      problems.push({ offset, written, root, message: `\`${name}\` is a field of the account, not a metric: write \`account.${name}\`` });
    } else if (!known.includes(name)) {
      const meant = closestName(name, known);
      const what = { account: "the data contract has no field", metrics: "the playbook has no metric", health: "health has no", offer: "an offer has no" }[root];
      const listed = meant ? `; did you mean \`${root}.${meant}\`?` : root === "health" || root === "offer" ? `: it has ${known.map((k) => `\`${k}\``).join(", ")}` : "";
      problems.push({ offset, written, root, message: `${what} \`${name}\` (in \`${written}\`)${listed}` });
    } else if (further) {
      problems.push({ offset, written, root, message: `\`${root}.${name}\` is a value and has no \`${further.slice(1)}\`` });
    }
  }
  for (const bare of text.matchAll(BARE_OBJECT)) {
    problems.push({ offset: bare.index! + bare[0].indexOf(bare[1]!), written: bare[1]!, root: "", message: `\`${bare[1]}\` is a group of values, not one: name the one to show, e.g. {{ ${bare[1]}.${bare[1] === "health" ? "score" : bare[1] === "offer" ? "product" : "<name>"} }}` });
  }
  return problems;
}
