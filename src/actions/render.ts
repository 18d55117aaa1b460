import { dirname, resolve } from "node:path";
import { convert } from "html-to-text";
import type { Template } from "liquidjs";
import type { HealthResult } from "../engine/decision.js";
import { isoDateOf } from "../expression/literals.js";
import type { Type } from "../expression/types.js";
import type { Value } from "../expression/value.js";
import type { CheckedPlaybook } from "../language/index.js";
import { htmlLiquid, isHtml, parseLiquid, textLiquid } from "../language/liquid.js";

/** An email as it goes out. */
export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** What a template can read (the names `check` knows as TEMPLATE_ROOTS). */
export interface TemplateContext {
  account: Record<string, unknown>;
  metrics: Record<string, unknown>;
  health: { score: number | null; status: string | null; model: string } | null;
  tier: string | null;
  offer: Record<string, unknown> | null;
  unsubscribe_url: string;
  playbook: string;
  trigger: string;
  today: string;
}

/** A template that cannot be rendered for one account: recorded against that action, the others go on. */
export class RenderError extends Error {}

interface ParsedTemplate {
  subject: Template[];
  body: Template[] | undefined;
  bodyIsHtml: boolean;
  text: Template[] | undefined;
  links: boolean;
}

/**
 * Renders a playbook's email templates: subject and text without escaping,
 * HTML with every value escaped (a template opts out with `| raw`). A body
 * without tags is the text part, and the HTML part is made from it; an HTML
 * body without a `text` gets its text part from the HTML. A template with no
 * `{{ unsubscribe_url }}` gets a footer with the link.
 */
export class TemplateRenderer {
  private readonly parsed = new Map<string, ParsedTemplate | RenderError>();

  constructor(
    private readonly checked: CheckedPlaybook,
    private readonly readFile: (path: string) => string | { refused: string } | undefined,
  ) {}

  render(name: string, context: TemplateContext): RenderedEmail {
    const template = this.template(name);
    if (template instanceof RenderError) throw template;
    try {
      const subject = singleLine(textLiquid.renderSync(template.subject, context) as string);
      let html: string;
      let text: string;
      if (!template.body) {
        text = "";
        html = "";
      } else if (template.bodyIsHtml) {
        html = htmlLiquid.renderSync(template.body, context) as string;
        text = template.text ? (textLiquid.renderSync(template.text, context) as string) : convert(html, { wordwrap: 78 });
      } else {
        text = textLiquid.renderSync(template.body, context) as string;
        html = paragraphs(text);
      }
      if (template.text && !template.bodyIsHtml) text = textLiquid.renderSync(template.text, context) as string;
      if (!template.links && !this.checked.model.templates?.[name]?.transactional) {
        text = `${text}\n\n--\nUnsubscribe: ${context.unsubscribe_url}\n`;
        html = `${html}\n<p style="font-size:small;color:#666">--<br><a href="${escapeHtml(context.unsubscribe_url)}">Unsubscribe</a></p>\n`;
      }
      return { subject, html, text };
    } catch (error) {
      throw new RenderError(`the template "${name}" cannot be rendered: ${(error as Error).message.split("\n")[0]}`);
    }
  }

  private template(name: string): ParsedTemplate | RenderError {
    let parsed = this.parsed.get(name);
    if (!parsed) {
      parsed = this.parse(name);
      this.parsed.set(name, parsed);
    }
    return parsed;
  }

  private parse(name: string): ParsedTemplate | RenderError {
    const spec = this.checked.model.templates?.[name];
    if (!spec) return new RenderError(`the playbook has no template "${name}"`);
    let body = spec.body;
    if (body === undefined && spec.file !== undefined) {
      const base = this.checked.sources.locate(["templates", name, "file"]).map.source.path;
      const text = this.readFile(resolve(dirname(base), spec.file));
      if (typeof text !== "string") return new RenderError(`the template file ${spec.file} of "${name}" cannot be read${text ? `: ${text.refused}` : ""}`);
      body = text;
    }
    const bodyIsHtml = body !== undefined && isHtml(body);
    const parts: Record<string, Template[] | undefined> = {};
    for (const [part, source, html] of [["subject", spec.subject, false], ["body", body, bodyIsHtml], ["text", spec.text, false]] as const) {
      if (source === undefined) continue;
      const result = parseLiquid(source, html);
      if ("problem" in result) return new RenderError(`the template "${name}" cannot be read (${part}, line ${result.problem.line}): ${result.problem.message}`);
      parts[part] = result.templates;
    }
    const links = [spec.subject, body, spec.text].some((text) => text !== undefined && /\{\{-?\s*unsubscribe_url\b/.test(text));
    return { subject: parts.subject!, body: parts.body, bodyIsHtml, text: parts.text, links };
  }
}

/** A subject is one line: line breaks and other control characters in account data cannot start a header. */
export function singleLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ").replace(/\s{2,}/g, " ").trim();
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** Plain text as HTML: escaped, a paragraph per blank-line block, line breaks kept. */
function paragraphs(text: string): string {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((block) => `<p>${escapeHtml(block).replace(/\n/g, "<br>\n")}</p>`)
    .join("\n");
}

/** Field values as a template reads them: dates as YYYY-MM-DD, date-times as ISO 8601, the rest as they are. */
export function templateValues(values: Record<string, Value>, types: ReadonlyMap<string, Type>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    const type = types.get(name)?.name;
    if (typeof value === "number" && type === "date") out[name] = isoDateOf(value);
    else if (typeof value === "number" && type === "datetime") out[name] = new Date(value).toISOString();
    else if (typeof value === "number" && !Number.isInteger(value)) out[name] = Math.round(value * 100) / 100;
    else out[name] = value;
  }
  return out;
}

export function healthForTemplate(health: HealthResult | undefined): TemplateContext["health"] {
  return health ? { score: health.score === null ? null : Math.round(health.score * 10) / 10, status: health.status, model: health.model } : null;
}
