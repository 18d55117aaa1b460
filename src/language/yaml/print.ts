import { Document, isMap, isScalar, isSeq, type Node, type Pair } from "yaml";
import { SECTION_ORDER, type Playbook } from "../../model/playbook.js";
import type { AttachedComments } from "../dsl/print.js";

/** Writes a playbook model as YAML, sections in the canonical order, with the comments a conversion carries over. */
export function printYaml(playbook: Playbook, comments?: AttachedComments): string {
  const ordered: Record<string, unknown> = {};
  for (const key of SECTION_ORDER) if (playbook[key] !== undefined) ordered[key] = playbook[key];
  const doc = new Document(ordered);
  if (comments) placeComments(doc, comments);
  return doc.toString({ lineWidth: 0, indent: 2, indentSeq: true });
}

/** `// text` as YAML writes a comment's text (it adds the `#`). */
const commentText = (comment: string) => comment.replace(/^\/\/\/?/, "").replace(/^\/\*|\*\/$/g, "");

/** The node a model path names: a map entry's key (comments go before the entry) or a list item. */
function anchorOf(doc: Document, path: string): { before: Node; after: Node } | undefined {
  const keys = path.split("/").map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  const parent = doc.getIn(keys.slice(0, -1), true) as Node | undefined;
  const last = keys[keys.length - 1]!;
  const container = keys.length === 1 ? doc.contents : parent;
  if (isMap(container)) {
    const pair = container.items.find((p: Pair) => isScalar(p.key) && p.key.value === last);
    if (pair && isScalar(pair.key)) return { before: pair.key, after: (pair.value as Node | null) ?? pair.key };
  }
  if (isSeq(container) && typeof last === "number") {
    const item = container.items[last] as Node | undefined;
    if (item) return { before: item, after: item };
  }
  return undefined;
}

function placeComments(doc: Document, comments: AttachedComments): void {
  const append = (existing: string | null | undefined, lines: string[]) => [existing, ...lines].filter(Boolean).join("\n");
  const first = isMap(doc.contents) ? doc.contents.items[0] : undefined;
  for (const [path, lines] of comments.leading) {
    // Before the first setting: the document's own comment, at its top.
    if (path === "" || (first && isScalar(first.key) && first.key.value === path)) {
      doc.commentBefore = append(doc.commentBefore, lines.map(commentText));
      continue;
    }
    const anchor = anchorOf(doc, path);
    if (anchor) anchor.before.commentBefore = append(anchor.before.commentBefore, lines.map(commentText));
  }
  for (const [path, line] of comments.trailing) {
    const anchor = anchorOf(doc, path);
    if (anchor) anchor.after.comment = append(anchor.after.comment, [commentText(line)]);
  }
  for (const [path, lines] of comments.after) {
    const anchor = anchorOf(doc, path);
    if (anchor) anchor.after.comment = append(anchor.after.comment, lines.map(commentText));
  }
  if (comments.tail.length > 0) doc.comment = append(doc.comment, comments.tail.map(commentText));
}
