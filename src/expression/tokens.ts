import type { TokenType } from "chevrotain";
import { createToken, Lexer } from "./chevrotain.js";

/**
 * Tokens of the expression language. The playbook DSL adds its keywords on
 * top (as soft keywords in the Identifier category), so both notations read
 * expressions with exactly the same rules.
 */
export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/ });

function hardKeyword(name: string, word: string): TokenType {
  return createToken({ name, pattern: new RegExp(`${word}(?![A-Za-z0-9_])`), longer_alt: Identifier });
}

export const And = hardKeyword("And", "and");
export const Or = hardKeyword("Or", "or");
export const Not = hardKeyword("Not", "not");
export const In = hardKeyword("In", "in");
export const True = hardKeyword("True", "true");
export const False = hardKeyword("False", "false");
export const Null = hardKeyword("Null", "null");
export const Else = hardKeyword("Else", "else");

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\uFEFF]+/, group: Lexer.SKIPPED });
export const DocComment = createToken({ name: "DocComment", pattern: /\/\/\/[^\n\r]*/, group: "comments" });
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\n\r]*/, group: "comments" });
export const BlockComment = createToken({ name: "BlockComment", pattern: /\/\*[\s\S]*?\*\//, group: "comments", line_breaks: true });

export const DateTimeLiteral = createToken({
  name: "DateTimeLiteral",
  pattern: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})?/,
});
export const DateLiteral = createToken({ name: "DateLiteral", pattern: /\d{4}-\d{2}-\d{2}(?![0-9A-Za-z_])/ });
export const DurationLiteral = createToken({ name: "DurationLiteral", pattern: /\d[\d_]*(?:mo|d|w|y)(?![A-Za-z0-9_])/ });
/** `7dd`, `30days`: read as one (bad) duration, so the message is about the duration, not a stray name after a number. */
export const MalformedDuration = createToken({ name: "MalformedDuration", pattern: /\d[\d_]*(?:mo|d|w|y)[A-Za-z0-9_]+/, categories: [DurationLiteral] });
export const PercentLiteral = createToken({ name: "PercentLiteral", pattern: /\d[\d_]*(?:\.\d[\d_]*)?%/ });
export const NumberLiteral = createToken({ name: "NumberLiteral", pattern: /\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?/ });
export const StringLiteral = createToken({
  name: "StringLiteral",
  pattern: /"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*'/,
});
export const UnterminatedString = createToken({ name: "UnterminatedString", pattern: /"(?:[^"\\\n\r]|\\.)*|'(?:[^'\\\n\r]|\\.)*/ });

export const LBrace = createToken({ name: "LBrace", pattern: /{/, label: "'{'" });
export const RBrace = createToken({ name: "RBrace", pattern: /}/, label: "'}'" });
export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "')'" });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: "RBracket", pattern: /]/, label: "']'" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "','" });
export const DotDot = createToken({ name: "DotDot", pattern: /\.\./, label: "'..'" });
export const Dot = createToken({ name: "Dot", pattern: /\./, label: "'.'" });
export const Coalesce = createToken({ name: "Coalesce", pattern: /\?\?/, label: "'??'" });
export const Question = createToken({ name: "Question", pattern: /\?/, label: "'?'" });
export const Colon = createToken({ name: "Colon", pattern: /:/, label: "':'" });
export const EqualEqual = createToken({ name: "EqualEqual", pattern: /==/, label: "'=='" });
export const NotEqual = createToken({ name: "NotEqual", pattern: /!=/, label: "'!='" });
export const LessEqual = createToken({ name: "LessEqual", pattern: /<=/, label: "'<='" });
export const GreaterEqual = createToken({ name: "GreaterEqual", pattern: />=/, label: "'>='" });
export const Less = createToken({ name: "Less", pattern: /</, label: "'<'" });
export const Greater = createToken({ name: "Greater", pattern: />/, label: "'>'" });
export const Equals = createToken({ name: "Equals", pattern: /=/, label: "'='" });
/** Operators of other languages, read so that the message can say what to write instead. */
export const AmpAmp = createToken({ name: "AmpAmp", pattern: /&&/, label: "'&&'" });
export const ArrowGreaterEqual = createToken({ name: "ArrowGreaterEqual", pattern: /=>/, label: "'=>'" });
export const ArrowLessEqual = createToken({ name: "ArrowLessEqual", pattern: /=</, label: "'=<'" });
export const LessGreater = createToken({ name: "LessGreater", pattern: /<>/, label: "'<>'" });
export const PipePipe = createToken({ name: "PipePipe", pattern: /\|\|/, label: "'||'" });
export const Plus = createToken({ name: "Plus", pattern: /\+/, label: "'+'" });
export const Minus = createToken({ name: "Minus", pattern: /-/, label: "'-'" });
export const Star = createToken({ name: "Star", pattern: /\*/, label: "'*'" });
export const Slash = createToken({ name: "Slash", pattern: /\//, label: "'/'" });
export const Semicolon = createToken({ name: "Semicolon", pattern: /;/, label: "';'" });

/** Hard keywords of expressions: never usable as names. */
export const EXPRESSION_KEYWORDS = [And, Or, Not, In, True, False, Null, Else];

export const PUNCTUATION = [
  LBrace, RBrace, LParen, RParen, LBracket, RBracket, Comma, DotDot, Dot, Coalesce, Question, Colon,
  EqualEqual, NotEqual, LessEqual, GreaterEqual, ArrowGreaterEqual, ArrowLessEqual, LessGreater, Less, Greater, Equals, Plus, Minus, Star, Slash, Semicolon, AmpAmp, PipePipe,
];

/**
 * The token list in lexing order, with `softKeywords` (the DSL's) placed
 * before Identifier so a keyword wins over a name of the same spelling.
 */
export function tokenVocabulary(softKeywords: readonly TokenType[]): TokenType[] {
  return [
    WhiteSpace, DocComment, LineComment, BlockComment,
    DateTimeLiteral, DateLiteral, DurationLiteral, MalformedDuration, PercentLiteral, NumberLiteral,
    StringLiteral, UnterminatedString,
    ...EXPRESSION_KEYWORDS, ...softKeywords, Identifier,
    ...PUNCTUATION,
  ];
}
