import { formatType, parseTypeText } from "../../expression/types.js";
import { quote } from "../../expression/literals.js";
import { canonicalExpression } from "../canonical.js";
import type { Action, FieldEntry, HealthModel, Playbook, Trigger } from "../../model/playbook.js";
import { pathKey, type ModelPath, type SourceMap } from "../source-map.js";
import type { Comment } from "./parser.js";

const INDENT = "  ";
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Comments of a parsed file, attached to the statements they stand before or after. */
export interface AttachedComments {
  leading: Map<string, string[]>;
  trailing: Map<string, string>;
  /** comments after the last statement of a block, before its `}`: written after the statement they follow */
  after: Map<string, string[]>;
  /** comments after the last statement */
  tail: string[];
}

/**
 * Attaches each `//` comment to the statement it precedes (or ends the line
 * of), so the formatter can write it back in the same place.
 */
export function attachComments(comments: readonly Comment[], map: SourceMap, paths: Iterable<ModelPath>): AttachedComments {
  const text = map.source.text;
  const anchors: { key: string; start: number; end: number; depth: number; expression: boolean }[] = [];
  for (const path of paths) {
    const entry = map.get(path);
    if (!entry) continue;
    const start = Math.min(entry.span.start, entry.keySpan?.start ?? Infinity);
    anchors.push({ key: pathKey(path), start, end: entry.span.end, depth: path.length, expression: entry.textOffset !== undefined || entry.textOffsets !== undefined });
  }
  // How deep a place is: open braces in a .play file, the line's indentation in YAML.
  const yaml = /\.ya?ml$/i.test(map.source.path);
  const braces = yaml ? undefined : braceDepths(text);
  const levelOf = (offset: number) => (braces ? braces[offset]! : offset - (text.lastIndexOf("\n", offset - 1) + 1));
  const leading = new Map<string, string[]>();
  const trailing = new Map<string, string>();
  const after = new Map<string, string[]>();
  const tail: string[] = [];
  for (const comment of comments) {
    // Inside an expression written over several lines: it stays there, written with the expression's own lines.
    if (!yaml && anchors.some((a) => a.expression && a.start < comment.span.start && a.end > comment.span.end && text.slice(a.start, a.end).includes("\n"))) continue;
    const lineStart = text.lastIndexOf("\n", comment.span.start - 1) + 1;
    const before = text.slice(lineStart, comment.span.start);
    if (before.trim().length > 0) {
      // The statement that starts on this line, or one written over several lines that ends on it.
      const owner = anchors
        .filter((a) => (a.start >= lineStart && a.start < comment.span.start) || (!yaml && a.start < lineStart && a.end > lineStart && a.end <= comment.span.start))
        .sort((a, b) => b.start - a.start || b.depth - a.depth)[0];
      if (owner && !trailing.has(owner.key)) {
        trailing.set(owner.key, comment.text);
        continue;
      }
    }
    const next = anchors.filter((a) => a.start >= comment.span.end).sort((a, b) => a.start - b.start || a.depth - b.depth)[0];
    // The block ends before the next statement (a `}`; in YAML, a line indented less): the comment ends its
    // block, after the last statement of that same block.
    const level = levelOf(comment.span.start);
    const previous = anchors.filter((a) => a.start < comment.span.start && levelOf(a.start) === level).sort((a, b) => b.start - a.start || a.depth - b.depth)[0];
    const blockEnds = yaml ? !next || levelOf(next.start) < level : text.slice(comment.span.end, next ? next.start : text.length).includes("}");
    if (previous && blockEnds) after.set(previous.key, [...(after.get(previous.key) ?? []), comment.text]);
    else if (!next) tail.push(comment.text);
    else leading.set(next.key, [...(leading.get(next.key) ?? []), comment.text]);
  }
  return { leading, trailing, after, tail };
}

/** For each offset of a .play text, how many `{` blocks are open there (quoted texts and comments skipped). */
function braceDepths(text: string): Uint16Array {
  const depths = new Uint16Array(text.length + 1);
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    depths[i] = depth;
    if (c === '"' || c === "'") {
      for (i++; i < text.length && text[i] !== c && text[i] !== "\n"; i++) {
        depths[i] = depth;
        if (text[i] === "\\") depths[++i] = depth;
      }
      depths[i] = depth;
    } else if (c === "/" && text[i + 1] === "/") {
      for (; i < text.length && text[i] !== "\n"; i++) depths[i] = depth;
      depths[i] = depth;
    } else if (c === "{") depth++;
    else if (c === "}") depth = Math.max(0, depth - 1);
  }
  depths[text.length] = depth;
  return depths;
}

function expression(text: string | undefined): string {
  if (text === undefined) return "?";
  // Written over several lines: kept on them (each line trimmed); one line: the canonical spelling.
  if (text.trim().includes("\n")) return text.trim().split("\n").map((line) => line.trim()).filter(Boolean).join("\n");
  return canonicalExpression(text);
}

function name(value: string): string {
  return IDENTIFIER.test(value) ? value : quote(value);
}

/** A field's type in its canonical spelling (`enum(basic, "Pro plan")?`); as written when it cannot be read. */
function fieldType(entry: FieldEntry): string {
  const type = typeof entry === "string" ? entry : entry.type;
  const parsed = parseTypeText(type);
  return parsed ? formatType(parsed) : type.trim();
}

function literal(value: unknown): string {
  if (typeof value === "string") return quote(value);
  return String(value);
}

/** A default as it is written for its field's type: `30d` for a duration, `2026-01-31` for a date, quoted text otherwise. */
function defaultLiteral(value: unknown, type: string): string {
  const base = type.replace(/\?$/, "").trim();
  if (typeof value === "string") {
    if (base === "duration" && /^[0-9][0-9_]*(d|w|mo|y)$/.test(value)) return value;
    if (base === "date" && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
    if (base === "datetime" && /^\d{4}-\d{2}-\d{2}T[0-9:.]+(Z|[+-]\d{2}:\d{2})?$/.test(value)) return value;
    if (base === "percent" && /^[0-9]+(\.[0-9]+)?%$/.test(value)) return value;
  }
  return literal(value);
}

class DslWriter {
  private readonly lines: string[] = [];
  private depth = 0;
  /** the statements whose blocks are open, to write their closing comments after their `}` */
  private readonly blocks: (ModelPath | undefined)[] = [];
  readonly printed: ModelPath[] = [];

  constructor(private readonly comments: AttachedComments | undefined) {}

  /** One statement: its leading comments, its docs, its line and a trailing comment. */
  line(path: ModelPath | undefined, text: string, description?: string): void {
    const pad = INDENT.repeat(this.depth);
    if (path) {
      this.printed.push(path);
      for (const comment of this.comments?.leading.get(pathKey(path)) ?? []) this.lines.push(`${pad}${comment}`);
    }
    if (description !== undefined) for (const doc of description.split("\n")) this.lines.push(`${pad}///${doc ? ` ${doc}` : ""}`);
    const trailing = path ? this.comments?.trailing.get(pathKey(path)) : undefined;
    // An expression written over several lines stays on them, continued one level in.
    const [first, ...rest] = text.split("\n");
    const continued = rest.map((part) => `${pad}${INDENT}${part.trim()}`);
    if (continued.length > 0) this.lines.push(`${pad}${first!.trimEnd()}`, ...continued.slice(0, -1));
    this.lines.push(`${continued.length > 0 ? continued[continued.length - 1] : `${pad}${first}`}${trailing ? `  ${trailing}` : ""}`);
    if (path && !this.opening) this.writeAfter(path);
  }

  private opening = false;

  private writeAfter(path: ModelPath): void {
    const pad = INDENT.repeat(this.depth);
    for (const comment of this.comments?.after.get(pathKey(path)) ?? []) this.lines.push(`${pad}${comment}`);
  }

  open(path: ModelPath | undefined, header: string, description?: string): void {
    this.opening = true;
    this.line(path, `${header} {`, description);
    this.opening = false;
    this.blocks.push(path);
    this.depth++;
  }

  close(): void {
    this.depth--;
    this.lines.push(`${INDENT.repeat(this.depth)}}`);
    const path = this.blocks.pop();
    if (path) this.writeAfter(path);
  }

  blank(): void {
    if (this.lines.length > 0 && this.lines[this.lines.length - 1] !== "" && !this.lines[this.lines.length - 1]!.endsWith("{")) this.lines.push("");
  }

  text(): string {
    for (const comment of this.comments?.tail ?? []) this.lines.push(comment);
    return `${this.lines.join("\n")}\n`;
  }
}

/**
 * Writes a playbook model as a `.play` file in the one canonical layout.
 * `fmt` passes the comments of the file it formats; `convert` has none.
 */
export function printDsl(playbook: Playbook, comments?: AttachedComments): string {
  return writeDsl(playbook, comments).text();
}

/** The model paths the formatter writes a statement for, in order: where comments can be attached. */
export function statementPaths(playbook: Playbook): ModelPath[] {
  return writeDsl(playbook, undefined).printed;
}

function writeDsl(playbook: Playbook, comments: AttachedComments | undefined): DslWriter {
  const w = new DslWriter(comments);
  const header = `playbook ${quote(playbook.playbook)}${playbook.extends !== undefined ? ` extends ${quote(playbook.extends)}` : ""}`;
  w.open([], header, playbook.description);
  if (playbook.version !== undefined) w.line(["version"], `version ${playbook.version}`);
  if (playbook.seed !== undefined) w.line(["seed"], `seed ${quote(playbook.seed)}`);

  if (playbook.account) {
    w.blank();
    w.open(["account"], "account");
    for (const [field, entry] of Object.entries(playbook.account)) printField(w, ["account", field], field, entry);
    w.close();
  }
  if (playbook.events) {
    w.blank();
    w.open(["events"], "events");
    for (const [event, spec] of Object.entries(playbook.events)) {
      const properties = Object.entries(spec.properties ?? {});
      if (properties.length === 0) {
        w.line(["events", event], name(event), spec.description);
        continue;
      }
      const plain = properties.every(([, entry]) => typeof entry === "string");
      if (plain) {
        const list = properties.map(([property, entry]) => `${property}: ${fieldType(entry)}`).join(", ");
        w.line(["events", event], `${name(event)} { ${list} }`, spec.description);
        continue;
      }
      w.open(["events", event], name(event), spec.description);
      for (const [property, entry] of properties) printField(w, ["events", event, "properties", property], property, entry);
      w.close();
    }
    w.close();
  }
  const metrics = Object.entries(playbook.metrics ?? {});
  const segments = Object.entries(playbook.segments ?? {});
  if (metrics.length > 0) w.blank();
  for (const [metric, spec] of metrics) {
    const text = typeof spec === "string" ? spec : spec.value;
    w.line(["metrics", metric], `metric ${metric} = ${expression(text)}`, typeof spec === "string" ? undefined : spec.description);
  }
  if (segments.length > 0) w.blank();
  for (const [segment, spec] of segments) {
    const text = typeof spec === "string" ? spec : spec.when;
    w.line(["segments", segment], `segment ${segment} = ${expression(text)}`, typeof spec === "string" ? undefined : spec.description);
  }
  if (playbook.health) {
    w.blank();
    printHealth(w, ["health"], "health", playbook.health);
  }
  for (const [model, spec] of Object.entries(playbook.health_models ?? {})) {
    w.blank();
    let header = `health ${model}`;
    if (spec.when !== undefined) header += ` when ${expression(spec.when)}`;
    if (spec.priority !== undefined) header += ` priority ${spec.priority}`;
    if (spec.extends !== undefined) header += ` extends ${spec.extends}`;
    printHealth(w, ["health_models", model], header, spec);
  }
  if (playbook.tiers) {
    w.blank();
    w.open(["tiers"], `tiers${playbook.tiers.hysteresis !== undefined ? ` hysteresis ${playbook.tiers.hysteresis}` : ""}`);
    const width = Math.max(...playbook.tiers.rules.map((r) => r.tier.length));
    playbook.tiers.rules.forEach((rule, index) => {
      const condition = rule.when === undefined ? "otherwise" : `when ${expression(rule.when)}`;
      w.line(["tiers", "rules", index], `${rule.tier.padEnd(width)} ${condition}`, rule.description);
    });
    w.close();
  }
  if (playbook.onboarding) {
    const o = playbook.onboarding;
    w.blank();
    let header = `onboarding from ${expression(o.start)}`;
    if (o.within !== undefined) header += ` within ${o.within}`;
    if (o.due_soon !== undefined) header += ` due_soon ${o.due_soon}`;
    if (o.health_model !== undefined) header += ` health ${o.health_model}`;
    w.open(["onboarding"], header);
    const milestones = Object.entries(o.milestones);
    const width = Math.max(0, ...milestones.map(([m]) => m.length));
    const dueWidth = Math.max(0, ...milestones.map(([, m]) => `due ${m.due}${m.after ? ` after ${m.after}` : ""}`.length));
    for (const [milestone, spec] of milestones) {
      const due = `due ${spec.due}${spec.after !== undefined ? ` after ${spec.after}` : ""}`;
      w.line(["onboarding", "milestones", milestone], `${milestone.padEnd(width)} ${due.padEnd(dueWidth)} done when ${expression(spec.done_when)}`, spec.description);
    }
    w.close();
  }
  for (const [template, spec] of Object.entries(playbook.templates ?? {})) {
    w.blank();
    w.open(["templates", template], `template ${quote(template)}`, spec.description);
    w.line(["templates", template, "subject"], `subject ${quote(spec.subject)}`);
    if (spec.body !== undefined) w.line(["templates", template, "body"], `body ${quote(spec.body)}`);
    if (spec.file !== undefined) w.line(["templates", template, "file"], `file ${quote(spec.file)}`);
    if (spec.text !== undefined) w.line(["templates", template, "text"], `text ${quote(spec.text)}`);
    if (spec.category !== undefined) w.line(["templates", template, "category"], `category ${quote(spec.category)}`);
    if (spec.transactional) w.line(["templates", template, "transactional"], "transactional");
    w.close();
  }
  for (const [offer, spec] of Object.entries(playbook.offers ?? {})) {
    w.blank();
    w.open(["offers", offer], `offer ${quote(offer)}`, spec.description);
    if (spec.product !== undefined) w.line(["offers", offer, "product"], `product ${quote(spec.product)}`);
    if (spec.discount !== undefined) w.line(["offers", offer, "discount"], `discount ${spec.discount}`);
    if (spec.expires !== undefined) w.line(["offers", offer, "expires"], `expires ${spec.expires}`);
    w.close();
  }
  for (const [trigger, spec] of Object.entries(playbook.triggers ?? {})) {
    w.blank();
    printTrigger(w, trigger, spec);
  }
  if (playbook.policies) {
    const p = playbook.policies;
    w.blank();
    w.open(["policies"], "policies");
    (p.frequency_caps ?? []).forEach((cap, i) => w.line(["policies", "frequency_caps", i], `cap ${cap.channel} ${cap.max} per ${cap.per}`));
    if (p.quiet_hours) w.line(["policies", "quiet_hours"], `quiet_hours ${quote(p.quiet_hours.from)} to ${quote(p.quiet_hours.to)}`);
    if (p.business_days_only) w.line(["policies", "business_days_only"], "business_days_only");
    if (p.task_capacity !== undefined) w.line(["policies", "task_capacity"], `task_capacity ${p.task_capacity}`);
    if (p.suppress_when !== undefined) w.line(["policies", "suppress_when"], `suppress ${p.suppress_actions ? `${p.suppress_actions.join(", ")} ` : ""}when ${expression(p.suppress_when)}`);
    if (p.grace_period) {
      const g = p.grace_period;
      let text = `grace ${g.for}`;
      if (g.since !== undefined) text += ` since ${expression(g.since)}`;
      if (g.no_red) text += " no_red";
      if (g.health_model !== undefined) text += ` health ${g.health_model}`;
      w.line(["policies", "grace_period"], text);
    }
    w.close();
  }
  if (playbook.overrides) {
    w.blank();
    w.open(["overrides"], "overrides");
    if (playbook.overrides.allow.length > 0) w.line(["overrides", "allow"], `allow ${playbook.overrides.allow.join(", ")}`);
    if (playbook.overrides.max_duration !== undefined) w.line(["overrides", "max_duration"], `max ${playbook.overrides.max_duration}`);
    w.close();
  }
  w.close();
  return w;
}

function printField(w: DslWriter, path: ModelPath, field: string, entry: FieldEntry): void {
  const spec = typeof entry === "string" ? undefined : entry;
  const defaultText = spec?.default !== undefined ? ` = ${defaultLiteral(spec.default, fieldType(entry))}` : "";
  w.line(path, `${field}: ${fieldType(entry)}${defaultText}`, spec?.description);
}

function printHealth(w: DslWriter, path: ModelPath, header: string, model: HealthModel): void {
  w.open(path, header, model.description);
  const components = Object.entries(model.components ?? {});
  const width = Math.max(0, ...components.map(([c]) => c.length));
  for (const [component, spec] of components) {
    let text = component.padEnd(width);
    if (spec.weight !== undefined) text += ` ${spec.weight.padStart(3)}`;
    if (spec.missing !== undefined) text += ` missing ${spec.missing}`;
    if (spec.score !== undefined) text += ` = ${expression(spec.score)}`;
    w.line([...path, "components", component], text.trimEnd(), spec.description);
  }
  if (model.missing !== undefined) w.line([...path, "missing"], `missing ${model.missing}`);
  (model.caps ?? []).forEach((cap, i) => {
    const limit = cap.status ?? String(cap.score);
    w.line([...path, "caps", i], `cap ${limit} when ${expression(cap.when)}`, cap.description);
  });
  if (model.status) w.line([...path, "status"], `status green >= ${model.status.green}, yellow >= ${model.status.yellow}`);
  if (model.trend !== undefined) w.line([...path, "trend"], `trend ${model.trend}`);
  w.close();
}

function printTrigger(w: DslWriter, trigger: string, spec: Trigger): void {
  const path = ["triggers", trigger];
  w.open(path, `trigger ${trigger}${spec.priority !== undefined ? ` priority ${spec.priority}` : ""}`, spec.description);
  if (spec.for) w.line([...path, "for"], `for ${spec.for.join(", ")}`);
  if (spec.when !== undefined) w.line([...path, "when"], `when ${expression(spec.when)}`);
  if (spec.fire !== undefined) w.line([...path, "fire"], `fire ${spec.fire}`);
  if (spec.cooldown !== undefined) w.line([...path, "cooldown"], `cooldown ${spec.cooldown}`);
  if (spec.limit !== undefined) w.line([...path, "limit"], `limit ${typeof spec.limit === "string" ? spec.limit : `${spec.limit.max} per ${spec.limit.per}`}`);
  if (spec.holdout !== undefined) w.line([...path, "holdout"], `holdout ${spec.holdout}`);
  if (spec.enroll_existing !== undefined) w.line([...path, "enroll_existing"], `enroll ${spec.enroll_existing ? "existing" : "new"}`);
  if (spec.goal !== undefined) w.line([...path, "goal"], `goal ${expression(spec.goal)}`);
  (spec.actions ?? []).forEach((action, i) => w.line([...path, "actions", i], actionText(action)));
  (spec.steps ?? []).forEach((step, s) => {
    w.open([...path, "steps", s], `step${step.wait !== undefined ? ` wait ${step.wait}` : ""}`);
    step.actions.forEach((action, i) => w.line([...path, "steps", s, "actions", i], actionText(action)));
    w.close();
  });
  w.close();
}

function actionText(action: Action): string {
  const priority = action.priority !== undefined ? ` priority ${action.priority}` : "";
  if ("email" in action) return `email ${quote(action.email)}${priority} to ${expression(action.to)}`;
  if ("task" in action) {
    return `task ${quote(action.task)}${action.due !== undefined ? ` due ${action.due}` : ""}${priority}${action.owner !== undefined ? ` owner ${expression(action.owner)}` : ""}`;
  }
  if ("offer" in action) {
    return `offer ${quote(action.offer)}${action.discount !== undefined ? ` discount ${action.discount}` : ""}${action.expires !== undefined ? ` expires ${action.expires}` : ""}${priority}`;
  }
  return `webhook ${quote(action.webhook)}${priority}`;
}
