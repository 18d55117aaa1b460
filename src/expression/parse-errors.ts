import type { IParserErrorMessageProvider, IToken, TokenType } from "chevrotain";
import { EOF } from "./chevrotain.js";

/** What a token is called in a message: its label (`')'`) or a plain description. */
export function describeTokenType(type: TokenType): string {
  if (type === EOF) return "end of file";
  if (type.LABEL) return type.LABEL;
  const described = TOKEN_DESCRIPTIONS[type.name];
  if (described) return described;
  if (typeof type.PATTERN === "object" && type.PATTERN instanceof RegExp && /^[a-z_]+\(\?!/.test(type.PATTERN.source)) {
    return `\`${type.PATTERN.source.split("(")[0]}\``;
  }
  return type.name;
}

const TOKEN_DESCRIPTIONS: Record<string, string> = {
  Identifier: "a name",
  NumberLiteral: "a number",
  PercentLiteral: "a percentage such as 40%",
  DurationLiteral: "a duration such as 14d",
  DateLiteral: "a date such as 2026-01-31",
  DateTimeLiteral: "a date and time",
  StringLiteral: "a quoted text",
};

export function describeToken(token: IToken): string {
  if (token.tokenType === EOF) return "the end of the file";
  return `\`${token.image}\``;
}

function uniqueDescriptions(paths: TokenType[][]): string[] {
  const seen = new Set<string>();
  for (const path of paths) if (path[0]) seen.add(describeTokenType(path[0]));
  return [...seen];
}

function listOr(items: string[]): string {
  if (items.length <= 1) return items[0] ?? "something else";
  const shown = items.slice(0, 6);
  const rest = items.length > shown.length ? ", ..." : "";
  return `${shown.slice(0, -1).join(", ")} or ${shown[shown.length - 1]}${rest}`;
}

/** Messages that say what was expected in words, not grammar rule names. */
export const friendlyErrorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    return `expected ${describeTokenType(expected)} but found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${describeToken(firstRedundant)}: nothing more was expected here`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, customUserDescription }) {
    const expected = customUserDescription ?? listOr(uniqueDescriptions(expectedPathsPerAlt.flat()));
    return `expected ${expected} but found ${describeToken(actual[0]!)}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, customUserDescription }) {
    const expected = customUserDescription ?? listOr(uniqueDescriptions(expectedIterationPaths));
    return `expected at least one ${expected} but found ${describeToken(actual[0]!)}`;
  },
};
