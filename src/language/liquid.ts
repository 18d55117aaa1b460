import { Liquid, type Template } from "liquidjs";

/**
 * The two Liquid engines every template goes through: one for HTML, where
 * every value is escaped unless a template says `| raw`, and one for plain
 * text and subjects. Templates can read only the context's own properties
 * and only the filters Liquid has; files are never included; a template
 * that loops too long or builds too much text for an account fails for
 * that account alone.
 */
const LIMITS = { templates: {}, ownPropertyOnly: true, strictFilters: true, renderLimit: 2_000, memoryLimit: 20_000_000 };
export const htmlLiquid = new Liquid({ ...LIMITS, outputEscape: "escape" });
export const textLiquid = new Liquid(LIMITS);

/** A template that cannot be parsed: the message, and where (1-based line and column, and the offset). */
export interface LiquidProblem {
  message: string;
  line: number;
  column: number;
  offset: number;
}

export function parseLiquid(text: string, html: boolean): { templates: Template[] } | { problem: LiquidProblem } {
  // A template is one text: it cannot pull in another file (there is none to find when it is sent).
  const include = /\{%-?\s*(include|render|layout)\b/.exec(text);
  if (include) {
    const [line, column] = positionOf(text, include.index);
    return { problem: { message: `a template cannot ${include[1]} another template: write that text here`, line, column, offset: include.index } };
  }
  try {
    return { templates: (html ? htmlLiquid : textLiquid).parse(text) };
  } catch (error) {
    const token = (error as { token?: { begin?: number; getPosition?: () => [number, number] } }).token;
    const offset = token?.begin ?? 0;
    const [line, column] = token?.getPosition?.() ?? positionOf(text, offset);
    const message = ((error as Error).message ?? "cannot be read").split(", line:")[0]!.replace(/\s+/g, " ");
    return { problem: { message, line, column, offset } };
  }
}

function positionOf(text: string, offset: number): [number, number] {
  const before = text.slice(0, offset).split("\n");
  return [before.length, before[before.length - 1]!.length + 1];
}

/** HTML when it has a tag; otherwise the body is plain text. */
export function isHtml(text: string): boolean {
  return /<[A-Za-z][^>]*>/.test(text);
}
