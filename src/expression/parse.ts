import type { ILexingError, IRecognitionException, IToken, TokenType } from "chevrotain";
import { Lexer } from "./chevrotain.js";
import type { DiagnosticCode } from "../text/diagnostic.js";
import type { Span } from "../text/source.js";
import type { Expr } from "./ast.js";
import { ExpressionGrammar, type LiteralProblem } from "./grammar.js";
import { closestName } from "../text/suggest.js";
import { AmpAmp, And, ArrowGreaterEqual, ArrowLessEqual, LessGreater, Coalesce, DotDot, EqualEqual, Greater, GreaterEqual, LBracket, Less, LessEqual, LParen, MalformedDuration, Minus, NotEqual, Or, PipePipe, Plus, RBracket, RParen, Slash, Star, StringLiteral, tokenVocabulary, UnterminatedString } from "./tokens.js";

export interface SyntaxProblem {
  code: DiagnosticCode;
  span: Span;
  message: string;
  /** the text meant instead of the span's, when the message says it: offered as a quick fix */
  replacement?: string;
}

/**
 * The tokens with each text that misses its closing quote read as if closed
 * at the end of its line: its one problem is reported (TL1003), and the
 * rest parses as written instead of failing for want of a value.
 */
export function closingUnterminated(tokens: IToken[]): IToken[] {
  if (!tokens.some((token) => token.tokenType === UnterminatedString)) return tokens;
  return tokens.map((token) => (token.tokenType === UnterminatedString ? { ...token, tokenType: StringLiteral, tokenTypeIdx: StringLiteral.tokenTypeIdx!, image: `${token.image}${token.image[0]}`, unterminated: true } : token));
}

/** Whether the parser's error comes right after a text that missed its closing quote: that text swallowed what the parser looked for, and its own problem says so. */
export function followsUnterminated(error: IRecognitionException): boolean {
  return ((error as { previousToken?: { unterminated?: boolean } }).previousToken?.unterminated ?? false) === true;
}

/** Converts lexer errors to problems, treating an unterminated quote specially. */
export function lexingProblems(errors: ILexingError[], text: string, baseOffset: number): SyntaxProblem[] {
  return errors.map((error) => {
    const char = text[error.offset] ?? "";
    return {
      code: "TL1001" as const,
      span: { start: baseOffset + error.offset, end: baseOffset + error.offset + Math.max(1, error.length) },
      message: `unexpected character \`${char}\``,
    };
  });
}

/**
 * A percentage written with a space before its sign (`50 %`) is read as the
 * `50%` meant, with one error and a quick fix, instead of an "unexpected
 * character" and a value left without its sign. Returns the text with each
 * such sign moved next to its number (the same length), or undefined when
 * there is none.
 */
export function joinDetachedPercents(text: string, errors: readonly ILexingError[], baseOffset: number): { text: string; problems: SyntaxProblem[] } | undefined {
  let chars: string[] | undefined;
  const problems: SyntaxProblem[] = [];
  for (const error of errors) {
    const at = error.offset;
    if (text[at] !== "%") continue;
    const before = /(?:^|[^\w.])(\d[\d_]*(?:\.\d[\d_]*)?)([ \t]+)$/.exec(text.slice(Math.max(0, at - 64), at));
    if (!before) continue;
    const [, number, gap] = before as unknown as [string, string, string];
    const numberEnd = at - gap.length;
    chars ??= text.split("");
    chars[numberEnd] = "%";
    for (let i = numberEnd + 1; i <= at; i++) chars[i] = " ";
    problems.push({ code: "TL1002", span: { start: baseOffset + numberEnd - number.length, end: baseOffset + at + 1 }, message: `write \`${number}%\`, with no space before the % sign`, replacement: `${number}%` });
  }
  return chars ? { text: chars.join(""), problems } : undefined;
}

/**
 * Converts parser errors to problems with the span of the offending token.
 * A name close to one of `keywords` (a misspelt `cooldwn`) says which one.
 */
export function parsingProblems(errors: IRecognitionException[], baseOffset: number, textLength: number, keywords: readonly string[] = [], text?: string): SyntaxProblem[] {
  return errors.map((error) => {
    const joined = text === undefined ? undefined : missingJoin(error, text, baseOffset);
    if (joined) return joined;
    const token = error.token;
    let start = token.startOffset;
    let end = (token.endOffset ?? token.startOffset) + 1;
    if (Number.isNaN(start) || token.tokenType.name === "EOF") {
      // At the end of input Chevrotain has no real token: point just past the last character.
      const previous = (error as { previousToken?: { endOffset: number } }).previousToken;
      start = previous && !Number.isNaN(previous.endOffset) ? previous.endOffset + 1 : textLength;
      end = start;
    }
    const meant = /^[A-Za-z_][A-Za-z0-9_]*$/.test(token.image) && !keywords.includes(token.image) ? closestName(token.image, keywords) : undefined;
    const message = meant ? `\`${token.image}\` is not a keyword here; did you mean \`${meant}\`?` : error.message;
    return { code: "TL1002" as const, span: { start: baseOffset + start, end: baseOffset + end }, message, ...(meant ? { replacement: meant } : {}) };
  });
}

const ENDS_OPERAND = new Set(["NumberLiteral", "PercentLiteral", "StringLiteral", "Identifier", "RParen", "RBracket", "True", "False", "Null", "DateLiteral"]);
const STARTS_OPERAND = new Set(["NumberLiteral", "PercentLiteral", "StringLiteral", "Identifier", "LParen", "Not", "True", "False", "Null"]);
const COMPARISON = /==|!=|<=|>=|<|>|\band\b|\bor\b/;

/**
 * Two conditions side by side (`health.score >= 80 utilization >= 0.9`):
 * the parser stops at the second, expecting the end of the first. Said as
 * what is missing between them, where the line is a condition.
 */
function missingJoin(error: IRecognitionException, text: string, baseOffset: number): SyntaxProblem | undefined {
  const token = error.token;
  if (Number.isNaN(token.startOffset) || !STARTS_OPERAND.has(token.tokenType.name)) return undefined;
  const lineStart = text.lastIndexOf("\n", token.startOffset - 1) + 1;
  const before = text.slice(lineStart, token.startOffset);
  // What ends just before: the parser's previous token, or (when the whole expression was read and more follows) the text.
  const previous = (error as { previousToken?: IToken }).previousToken;
  const endsOperand = previous && !Number.isNaN(previous.startOffset) ? previous.startLine === token.startLine && ENDS_OPERAND.has(previous.tokenType.name) : /[A-Za-z0-9_)\]"'%]\s+$/.test(before) && !/\b(and|or|not|in)\s+$/.test(before);
  if (!endsOperand || !COMPARISON.test(before.replace(/"[^"]*"|'[^']*'/g, ""))) return undefined;
  return {
    code: "TL1002",
    span: { start: baseOffset + token.startOffset, end: baseOffset + (token.endOffset ?? token.startOffset) + 1 },
    message: `\`${token.image}\` starts a second condition right after the first: join them with \`and\` or \`or\``,
  };
}

/**
 * The first of the parser's errors on each line: after a mistake the parser
 * finds its feet again a token or two later, and what it stumbles on there is
 * a consequence of the first mistake, not a second one.
 */
export function firstPerLine(problems: SyntaxProblem[], text: string, baseOffset: number): SyntaxProblem[] {
  const lines = new Set<number>();
  return problems.filter((problem) => {
    const line = text.lastIndexOf("\n", Math.max(0, problem.span.start - baseOffset - 1));
    if (lines.has(line)) return false;
    lines.add(line);
    return true;
  });
}

/** How deep parentheses may nest, and how many operators one expression may chain: far beyond what people write, well within what every pass (check, compile, evaluate) handles without running out of stack. */
export const MAX_NESTING = 100;
export const MAX_CHAIN = 1000;

const OPENING = new Set<TokenType>([LParen, LBracket]);
const CLOSING = new Set<TokenType>([RParen, RBracket]);
const OPERATORS = new Set<TokenType>([Plus, Minus, Star, Slash, Coalesce, And, Or, AmpAmp, PipePipe, EqualEqual, NotEqual, LessEqual, GreaterEqual, ArrowGreaterEqual, ArrowLessEqual, LessGreater, Less, Greater, DotDot]);

/**
 * Expressions nested or chained beyond what any pass can walk: found on the
 * tokens, before parsing, so they give a diagnostic and never exhaust the
 * stack. `boundary` tells where one expression ends (a DSL keyword, a brace).
 */
export function depthProblems(tokens: readonly IToken[], baseOffset: number, boundary: (token: IToken) => boolean = () => false): SyntaxProblem[] {
  let depth = 0;
  let chain = 0;
  for (const token of tokens) {
    if (OPENING.has(token.tokenType)) depth++;
    else if (CLOSING.has(token.tokenType)) depth = Math.max(0, depth - 1);
    else if (OPERATORS.has(token.tokenType)) chain++;
    else if (boundary(token)) {
      depth = 0;
      chain = 0;
    }
    const span = { start: baseOffset + token.startOffset, end: baseOffset + token.startOffset + token.image.length };
    if (depth > MAX_NESTING) return [{ code: "TL1008", span, message: `this expression nests more than ${MAX_NESTING} parentheses deep: split it into metrics` }];
    if (chain > MAX_CHAIN) return [{ code: "TL1008", span, message: `this expression chains more than ${MAX_CHAIN} operators: split it into metrics` }];
  }
  return [];
}

/** `7dd`, `30days`: durations written wrong, read whole by the lexer so they can be named. */
export function malformedDurationProblems(tokens: readonly LexedToken[], baseOffset: number): SyntaxProblem[] {
  return tokenProblems(tokens, MalformedDuration, baseOffset, "TL1007", (image) => `\`${image}\` is not a valid duration: write a whole number followed by d, w, mo or y, as in 14d`);
}

type LexedToken = { tokenType: TokenType; startOffset: number; image: string };

/** A problem for each token of one type the lexer reads whole so that it can be named (an open quote, `7dd`). */
function tokenProblems(tokens: readonly LexedToken[], type: TokenType, baseOffset: number, code: DiagnosticCode, message: (image: string) => string): SyntaxProblem[] {
  return tokens
    .filter((token) => token.tokenType === type)
    .map((token) => ({ code, span: { start: baseOffset + token.startOffset, end: baseOffset + token.startOffset + token.image.length }, message: message(token.image) }));
}

/** Splits out unterminated strings, which the lexer matches as a token of their own. */
export function unterminatedStringProblems(tokens: readonly LexedToken[], baseOffset: number): SyntaxProblem[] {
  return tokenProblems(tokens, UnterminatedString, baseOffset, "TL1003", (image) => `this text is missing its closing quote ${image[0]}`);
}

const expressionTokens = tokenVocabulary([]);
const expressionLexer = new Lexer(expressionTokens, { positionTracking: "full", ensureOptimizations: false });

class ExpressionParser extends ExpressionGrammar {
  readonly standalone = this.RULE("standalone", () => this.SUBRULE(this.expression));

  constructor() {
    super(expressionTokens);
    this.performSelfAnalysis();
  }

  parseAt(baseOffset: number): Expr {
    this.baseOffset = baseOffset;
    this.literalProblems = [];
    return this.standalone();
  }

  takeLiteralProblems(): LiteralProblem[] {
    return this.literalProblems;
  }
}

let sharedParser: ExpressionParser | undefined;

export interface ParsedExpression {
  expr: Expr;
  problems: SyntaxProblem[];
}

/**
 * Parses one expression written in a string (a YAML value, a test, the
 * REPL). `baseOffset` is where the text starts in its file, so every span
 * in the result points into that file. Never throws.
 */
export function parseExpression(text: string, baseOffset = 0): ParsedExpression {
  // The editor checks the same expressions after every keystroke: each text is parsed once, and its tree copied to where it now is.
  let atPlace = parsedTexts.get(text);
  if (!atPlace) {
    atPlace = placedCopies(parseAt(text, 0), 0);
    if (parsedTexts.size >= 20_000) parsedTexts.clear();
    parsedTexts.set(text, atPlace);
  }
  return atPlace(baseOffset);
}

/** Each text's tree, by the place it is asked for. */
const parsedTexts = new Map<string, (offset: number) => ParsedExpression>();

/** Forgets every expression text parsed before: a benchmark of a first read, or a test comparing with a parse from scratch. */
export function forgetParsedTexts(): void {
  parsedTexts.clear();
}

/**
 * A parsed tree (with its problems) made at `offset`, and copies of it moved
 * to the other places it is asked for: trees are never changed after
 * parsing, so the copy made for a place last time is reused (every
 * expression before an edit, all of them after an edit that keeps lengths,
 * the same condition written in several triggers).
 */
export function placedCopies<T>(value: T, offset: number): (at: number) => T {
  const copies = new Map<number, T>([[offset, value]]);
  return (at) => {
    let copy = copies.get(at);
    if (!copy) {
      if (copies.size >= 256) copies.clear();
      copy = shiftSpans(value, at - offset) as T;
      copies.set(at, copy);
    }
    return copy;
  };
}

/** A copy of a parsed tree with every span moved by `by`. */
function shiftSpans(value: unknown, by: number): unknown {
  if (Array.isArray(value)) return value.map((item) => shiftSpans(item, by));
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  if (typeof record.start === "number" && typeof record.end === "number" && Object.keys(record).length === 2) return { start: record.start + by, end: record.end + by };
  const copy: Record<string, unknown> = {};
  for (const key in record) copy[key] = shiftSpans(record[key], by);
  return copy;
}

/** An email address or a web address written where an expression goes, without quotes. */
const UNQUOTED_ADDRESS = /^\s*([^\s"'@(),]+@[^\s"'@(),]+\.[^\s"'@(),]+|https?:\/\/\S+)\s*$/;

function parseAt(text: string, baseOffset: number): ParsedExpression {
  // One problem with its fix instead of three (an unknown name, `@`, what follows): an owner or a recipient written as it reads.
  const address = UNQUOTED_ADDRESS.exec(text);
  if (address) {
    const start = baseOffset + text.indexOf(address[1]!);
    const span = { start, end: start + address[1]!.length };
    // No quick fix: in a YAML playbook the quotes must survive YAML's own, and which quotes the value sits in is YAML's to know.
    return { expr: { kind: "error", span }, problems: [{ code: "TL1002", span, message: `an address is a text: write it in quotes, "${address[1]}" (in YAML '"${address[1]}"', as YAML takes the outer ones); without them it reads as an expression` }] };
  }
  sharedParser ??= new ExpressionParser();
  let lexed = expressionLexer.tokenize(text);
  const percents = joinDetachedPercents(text, lexed.errors, baseOffset);
  if (percents) lexed = expressionLexer.tokenize(percents.text);
  const problems: SyntaxProblem[] = [
    ...(percents?.problems ?? []),
    ...lexingProblems(lexed.errors, percents?.text ?? text, baseOffset),
    ...unterminatedStringProblems(lexed.tokens, baseOffset),
  ];
  const tokens = closingUnterminated(lexed.tokens);
  if (tokens.length === 0) {
    if (problems.length === 0) problems.push({ code: "TL1002", span: { start: baseOffset, end: baseOffset + text.length }, message: "expected an expression but found nothing" });
    return { expr: { kind: "error", span: { start: baseOffset, end: baseOffset + text.length } }, problems };
  }
  const tooDeep = depthProblems(tokens, baseOffset);
  if (tooDeep.length > 0) return { expr: { kind: "error", span: { start: baseOffset, end: baseOffset + text.length } }, problems: [...problems, ...tooDeep] };
  sharedParser.input = tokens;
  const expr = sharedParser.parseAt(baseOffset);
  problems.push(...sharedParser.takeLiteralProblems(), ...firstPerLine(parsingProblems(sharedParser.errors, baseOffset, text.length, [], text), text, baseOffset));
  return { expr: expr ?? { kind: "error", span: { start: baseOffset, end: baseOffset + text.length } }, problems };
}
