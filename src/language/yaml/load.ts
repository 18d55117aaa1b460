import { isMap, isScalar, isSeq, parseDocument, Scalar, type Node as YamlNode } from "yaml";
import type { SyntaxProblem } from "../../expression/parse.js";
import type { ModelPath, SourceEntry } from "../source-map.js";

export interface YamlParseResult {
  model: unknown;
  entries: { path: ModelPath; entry: SourceEntry }[];
  problems: SyntaxProblem[];
  /** `# ...` comments, for `convert` to carry across */
  comments: { text: string; span: { start: number; end: number } }[];
}

/** The `#` comments of a YAML text: whole lines, and the ends of lines after a space (never inside quotes). */
function yamlComments(text: string): { text: string; span: { start: number; end: number } }[] {
  const comments: { text: string; span: { start: number; end: number } }[] = [];
  let lineStart = 0;
  for (const line of text.split("\n")) {
    let quote: string | undefined;
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (quote) {
        if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") {
        if (i === 0 || /[\s:\[{,-]/.test(line[i - 1]!)) quote = c;
      } else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]!))) {
        const body = line.slice(i).replace(/\r$/, "");
        comments.push({ text: body, span: { start: lineStart + i, end: lineStart + i + body.length } });
        break;
      }
    }
    lineStart += line.length + 1;
  }
  return comments;
}

/**
 * Reads a YAML playbook into plain data plus the source span of every key
 * and value, using the `yaml` library's own positions.
 */
export function parseYaml(text: string): YamlParseResult {
  const problems: SyntaxProblem[] = [];
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, strict: true, logLevel: "error" });
  for (const error of doc.errors) {
    const [start, end] = error.pos;
    const lineStart = text.lastIndexOf("\n", start - 1) + 1;
    const lineEnd = text.indexOf("\n", start) < 0 ? text.length : text.indexOf("\n", start);
    const line = text.slice(lineStart, lineEnd);
    // After a line that breaks the structure, YAML's next complaints are about the same mistake: the first is said, as advice.
    if (problems.some((p) => p.code === "TL1004") && error.code !== "DUPLICATE_KEY") continue;
    const value = /^(\s*(?:-\s+)?[A-Za-z_][\w.-]*\s*:\s+)(\S.*?)\s*$/.exec(line);
    const unquotedColon = value !== null && value[2]!.includes(":") && !/^["']/.test(value[2]!);
    if (((error.code as string) === "BLOCK_AS_IMPLICIT_KEY" || error.code === "MULTILINE_IMPLICIT_KEY") && !unquotedColon) {
      // A value that runs on into the next line, which YAML then reads as part of it: almost always that line's indentation.
      const next = text.indexOf("\n", start);
      const nextLine = next < 0 ? "" : text.slice(next + 1, text.indexOf("\n", next + 1) < 0 ? text.length : text.indexOf("\n", next + 1));
      const indent = /^\s*/.exec(nextLine)![0].length;
      const from = next < 0 ? start : next + 1 + indent;
      problems.push({ code: "TL1004", span: { start: from, end: Math.max(from + 1, from + nextLine.trim().length) }, message: "YAML reads this line as part of the value above it: indent it like the settings around it (they start in the same column), or quote a value that contains `:`" });
      continue;
    }
    if (error.code === "BAD_INDENT" || /must start at the same column/.test(error.message)) {
      const key = /^(\s*)(\S[^:]*)/.exec(line);
      const from = lineStart + (key?.[1]!.length ?? 0);
      problems.push({ code: "TL1004", span: { start: from, end: from + Math.max(1, key?.[2]!.trimEnd().length ?? 1) }, message: "this line is indented differently from the settings around it: the settings of one section start in the same column" });
      continue;
    }
    if (value !== null && value[2]!.startsWith("{{")) {
      const from = lineStart + value[1]!.length;
      problems.push(placeholderAsSection(text, from, from + value[2]!.length, `${value[1]!.trim()} `));
      continue;
    }
    if ((error.code as string) === "BLOCK_AS_IMPLICIT_KEY" && unquotedColon) {
      // An expression with `:` in it (bands) read as a section: said with the fix.
      const from = lineStart + value[1]!.length;
      problems.push({ code: "TL1004", span: { start: from, end: from + value[2]!.length }, message: `YAML reads the \`:\` in this expression as the start of a section: put the whole expression in quotes, as in ${value[1]!.trim()} "${value[2]!.replace(/"/g, "'")}"` });
      continue;
    }
    const quote = error.code === "MISSING_CHAR" ? /closing (["'])/.exec(error.message)?.[1] : undefined;
    if (quote) {
      // Said where the text opens, not at the end of the file where YAML noticed.
      const opening = text.lastIndexOf(quote, Math.min(start, text.length - 1));
      if (opening >= 0) {
        const openingLineEnd = text.indexOf("\n", opening) < 0 ? text.length : text.indexOf("\n", opening);
        problems.push({ code: "TL1003", span: { start: opening, end: Math.max(opening + 1, openingLineEnd) }, message: `this text is missing its closing quote ${quote}` });
        continue;
      }
    }
    if (error.code === "DUPLICATE_KEY") {
      // YAML points at the key's first character: the whole key is marked, and named.
      const key = /^("[^"\n]*"|'[^'\n]*'|[^:\n]*?)\s*:/.exec(text.slice(start))?.[1] ?? "";
      problems.push({ code: "TL2001", span: { start, end: start + Math.max(1, key.length) }, message: `${key ? `\`${key}\`` : "this key"} appears twice in the same section; each name must be unique` });
      continue;
    }
    problems.push({ code: "TL1004", span: { start, end: Math.max(end, start + 1) }, message: yamlMessage(error.message) });
  }
  const entries: { path: ModelPath; entry: SourceEntry }[] = [];
  if (doc.contents) walk(doc.contents as YamlNode, [], undefined, text, entries, problems);
  let model: unknown;
  try {
    model = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    problems.push({ code: "TL1004", span: { start: 0, end: 0 }, message: `the YAML cannot be read: ${(error as Error).message}` });
    model = undefined;
  }
  return { model, entries, problems, comments: yamlComments(text) };
}

/** A text starting with an unquoted `{{ placeholder }}` (from `start` to `end`): YAML read its braces as a section. Said with the quoted form, after `key`. */
function placeholderAsSection(text: string, start: number, end: number, key: string): SyntaxProblem {
  return { code: "TL1004", span: { start, end }, message: `YAML reads the \`{{\` that starts this text as a section: put the whole text in quotes, as in ${key}"${text.slice(start, end).trim().replace(/"/g, "'")}"` };
}

function yamlMessage(message: string): string {
  const first = message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
  return `YAML: ${first.charAt(0).toLowerCase()}${first.slice(1)}`;
}

function walk(node: YamlNode, path: ModelPath, keySpan: SourceEntry["keySpan"], text: string, out: { path: ModelPath; entry: SourceEntry }[], problems: SyntaxProblem[]): void {
  const range = node.range;
  if (!range) return;
  const entry: SourceEntry = { span: { start: range[0], end: range[1] } };
  if (keySpan) entry.keySpan = keySpan;
  if (isScalar(node) && typeof node.value === "string") {
    const offset = textOffsetOf(node, text);
    if (offset !== undefined) entry.textOffset = offset;
    else {
      const offsets = characterOffsetsOf(node, text);
      if (offsets) entry.textOffsets = offsets;
    }
  }
  out.push({ path, entry });
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = pair.key as YamlNode | null;
      const keyValue = isScalar(key) ? String(key.value) : undefined;
      // (Unless the structure is already said to be broken there: this key is what YAML made of it.)
      if (keyValue === undefined && key?.range && !problems.some((p) => p.code === "TL1004" && p.span.start <= key.range![1] && p.span.end >= key.range![0])) {
        if (text.startsWith("{{", range[0])) problems.push(placeholderAsSection(text, range[0], text.indexOf("\n", range[0]) < 0 ? text.length : text.indexOf("\n", range[0]), ""));
        else problems.push({ code: "TL1004", span: { start: key.range[0], end: key.range[1] }, message: "YAML: a key must be a plain name, not a list or a section" });
      }
      if (keyValue === undefined || !key?.range) continue;
      const childKeySpan = { start: key.range[0], end: key.range[1] };
      const value = pair.value as YamlNode | null;
      if (value && value.range) walk(value, [...path, keyValue], childKeySpan, text, out, problems);
      else out.push({ path: [...path, keyValue], entry: { span: childKeySpan, keySpan: childKeySpan } });
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => {
      if (item && (item as YamlNode).range) walk(item as YamlNode, [...path, index], undefined, text, out, problems);
    });
  }
}

/**
 * Where each character of a multi-line string scalar is in the file: YAML
 * folds line breaks and indentation into spaces (plain and `>` scalars) or
 * keeps line breaks (`|`), so the value's characters are the file's, with
 * whitespace runs in between. Undefined when they do not line up (escapes).
 */
function characterOffsetsOf(node: Scalar, text: string): number[] | undefined {
  const value = node.value;
  if (typeof value !== "string" || node.type === Scalar.QUOTE_DOUBLE) return undefined;
  const [start, end] = node.range!;
  let i = node.type === Scalar.BLOCK_FOLDED || node.type === Scalar.BLOCK_LITERAL ? text.indexOf("\n", start) + 1 : node.type === Scalar.QUOTE_SINGLE ? start + 1 : start;
  if (i <= 0) return undefined;
  const offsets: number[] = new Array<number>(value.length);
  const space = (c: string | undefined) => c === " " || c === "\t" || c === "\n" || c === "\r";
  for (let k = 0; k < value.length; k++) {
    const c = value[k]!;
    if (space(c)) {
      offsets[k] = i;
      if (space(text[i])) i++;
      continue;
    }
    while (i < end && space(text[i])) i++;
    if (text[i] !== c) return undefined;
    offsets[k] = i++;
  }
  return offsets;
}

/** Where a string scalar's characters start, when the file holds them verbatim (no escapes, one line). */
function textOffsetOf(node: Scalar, text: string): number | undefined {
  const [start, end] = node.range!;
  const raw = text.slice(start, end);
  const value = node.value as string;
  if (node.type === Scalar.PLAIN && raw === value) return start;
  if ((node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) && raw.slice(1, -1) === value) return start + 1;
  return undefined;
}
