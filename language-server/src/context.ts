import type { CheckedPlaybook } from "../../src/language/check/index.js";
import type { ModelPath } from "../../src/language/source-map.js";

/** Keys whose YAML values are expressions. */
const EXPRESSION_KEYS = new Set(["when", "score", "value", "done_when", "start", "to", "owner", "goal", "suppress_when", "since"]);

export type CompletionContext =
  | { kind: "expression"; prefix: string; member?: string }
  | { kind: "string"; of: "template" | "offer" | "event" }
  | { kind: "scope" }
  | { kind: "duration" }
  | { kind: "type" }
  | { kind: "keyword"; block: string }
  | { kind: "yaml-key"; path: ModelPath }
  /** inside a template's `{{ }}` or `{% %}`: a root (`account`, `metrics`...) or, after `<root>.`, one of its members */
  | { kind: "placeholder"; root: string | undefined; prefix: string }
  | { kind: "none" };

/** The innermost open `{ ... }` block before `offset` of a `.play` text, by its header's first word. */
export function enclosingBlock(text: string, offset: number): string {
  const stack: number[] = [];
  let inString: string | undefined;
  for (let i = 0; i < offset; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === "\\") i++;
      else if (c === inString || c === "\n") inString = undefined;
      continue;
    }
    if (c === "/" && text[i + 1] === "/") {
      const end = text.indexOf("\n", i);
      i = end < 0 ? offset : end;
      continue;
    }
    if (c === '"' || c === "'") inString = c;
    else if (c === "{") stack.push(i);
    else if (c === "}") stack.pop();
  }
  // Blocks inside expressions (bands tables) do not count: look for a statement header.
  for (let k = stack.length - 1; k >= 0; k--) {
    const lineStart = text.lastIndexOf("\n", stack[k]! - 1) + 1;
    const header = text.slice(lineStart, stack[k]).trim();
    const word = /^([A-Za-z_]+)/.exec(header)?.[1];
    if (word && !/bands\(/.test(header)) return word;
  }
  return "";
}

/** Inside a Liquid placeholder of a template text, what is being typed there. */
function placeholderContext(before: string): CompletionContext | undefined {
  const open = Math.max(before.lastIndexOf("{{"), before.lastIndexOf("{%"));
  if (open < 0 || Math.max(before.lastIndexOf("}}"), before.lastIndexOf("%}")) > open) return undefined;
  const inside = before.slice(open + 2);
  const member = /\b(account|metrics|health|offer)\.([A-Za-z_][A-Za-z0-9_]*)?$/.exec(inside);
  if (member) return { kind: "placeholder", root: member[1]!, prefix: member[2] ?? "" };
  const root = /(?:^|[\s(-])([A-Za-z_][A-Za-z0-9_]*)?$/.exec(inside);
  return root ? { kind: "placeholder", root: undefined, prefix: root[1] ?? "" } : undefined;
}

/** What may be typed at `offset` of a `.play` text. */
export function playContext(text: string, offset: number): CompletionContext {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  const placeholder = placeholderContext(before);
  if (placeholder) return placeholder;
  const quotes = (before.match(/(?<!\\)"/g) ?? []).length;
  if (quotes % 2 === 1) {
    if (/\b(email|template)\s+"[^"]*$/.test(before)) return { kind: "string", of: "template" };
    if (/\boffer\s+"[^"]*$/.test(before)) return { kind: "string", of: "offer" };
    if (/\b(count|sum|avg|min_of|max_of|distinct|days_since_last|trend)\(\s*"[^"]*$/.test(before)) return { kind: "string", of: "event" };
    return { kind: "none" };
  }
  if (/^\s*(\/\/|\/\/\/)/.test(before)) return { kind: "none" };
  const member = /([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)?$/.exec(before);
  if (member) return { kind: "expression", prefix: member[2] ?? "", member: member[1]! };
  const word = /([A-Za-z_][A-Za-z0-9_]*)?$/.exec(before)![1] ?? "";
  const head = before.slice(0, before.length - word.length);
  if (/\bfor\s+([A-Za-z_][A-Za-z0-9_]*\s*,\s*)*$/.test(head)) return { kind: "scope" };
  if (/\b(cooldown|due|wait|expires|trend|hysteresis|per|max|due_soon|grace)\s+$/.test(head)) return { kind: "duration" };
  const block = enclosingBlock(text, offset);
  if (block === "account" || block === "events") {
    if (/:\s*$/.test(head)) return { kind: "type" };
  }
  if (/(=|\bwhen|\bgoal|\bto|\bowner|\bfrom|\bsince|\band|\bor|\bnot|\bin|[-+*/<>(,?]|\.\.)\s*$/.test(head) && !/^\s*$/.test(head)) {
    return { kind: "expression", prefix: word };
  }
  if (/^\s*$/.test(head)) return { kind: "keyword", block };
  return { kind: "none" };
}

/** What may be typed at `offset` of a YAML playbook. */
export function yamlContext(text: string, offset: number, checked: CheckedPlaybook): CompletionContext {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  const placeholder = placeholderContext(before);
  if (placeholder) return placeholder;
  const path = yamlPathAt(text, lineStart, before);
  const keyTyping = /^(\s*)(- )?([A-Za-z0-9_-]*)$/.exec(before);
  // An item of a trigger's `for` list is a tier or segment, not a key.
  if (keyTyping?.[2] && path[path.length - 1] === "for") return { kind: "scope" };
  if (keyTyping) return { kind: "yaml-key", path };
  const value = /^\s*(?:- )?([A-Za-z0-9_-]+)\s*:\s*(.*)$/.exec(before);
  if (!value) return { kind: "none" };
  const key = value[1]!;
  const typed = value[2]!;
  if (key === "email") return { kind: "string", of: "template" };
  if (key === "offer") return { kind: "string", of: "offer" };
  if (key === "for") return { kind: "scope" };
  if (["cooldown", "due", "wait", "expires", "trend", "hysteresis", "per", "due_soon", "max_duration"].includes(key)) return { kind: "duration" };
  if (path[0] === "account" || (path[0] === "events" && path.includes("properties"))) return { kind: "type" };
  const isExpression = EXPRESSION_KEYS.has(key) || ((path[0] === "metrics" || path[0] === "segments") && path.length === 1);
  if (!isExpression || checked.model === undefined) return { kind: "none" };
  const member = /([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)?$/.exec(typed);
  if (member) return { kind: "expression", prefix: member[2] ?? "", member: member[1]! };
  return { kind: "expression", prefix: /([A-Za-z_][A-Za-z0-9_]*)?$/.exec(typed)![1] ?? "" };
}

/** The mapping keys enclosing a YAML line, from the indentation of the lines above it. */
function yamlPathAt(text: string, lineStart: number, before: string): string[] {
  const indent = /^(\s*)/.exec(before)![1]!.length + (/^\s*- /.test(before) ? 2 : 0);
  const path: string[] = [];
  let limit = indent;
  const lines = text.slice(0, lineStart).split("\n").reverse();
  for (const line of lines) {
    const match = /^(\s*)(- )?([A-Za-z0-9_.-]+)\s*:/.exec(line);
    if (!match) continue;
    const own = match[1]!.length + (match[2] ? 2 : 0);
    if (own < limit) {
      path.unshift(match[3]!);
      limit = match[1]!.length;
      if (limit === 0) break;
    }
  }
  return path;
}
