import type { ILexingError, ILexingResult, IToken, Lexer } from "chevrotain";

/**
 * Lexing that reuses the tokens of the text lexed before. The editor lexes a
 * whole playbook after every keystroke; a keystroke changes a line or two.
 * Tokens before the changed lines are kept, those after them are moved by
 * the change in length, and only the changed lines are lexed again. No
 * token spans lines except a block comment: a text that has one is lexed
 * whole.
 */
export class Relexer {
  private last: { text: string; result: ILexingResult } | undefined;

  constructor(private readonly lexer: Lexer) {}

  tokenize(text: string): ILexingResult {
    const last = this.last;
    const result = last && !last.text.includes("/*") && !text.includes("/*") ? this.relex(last.text, last.result, text) : this.lexer.tokenize(text);
    this.last = { text, result };
    return { tokens: result.tokens, groups: { ...result.groups }, errors: result.errors };
  }

  forget(): void {
    this.last = undefined;
  }

  private relex(before: string, lexed: ILexingResult, text: string): ILexingResult {
    if (before === text) return lexed;
    const shortest = Math.min(before.length, text.length);
    let prefix = 0;
    while (prefix < shortest && before.charCodeAt(prefix) === text.charCodeAt(prefix)) prefix++;
    let suffix = 0;
    while (suffix < shortest - prefix && before.charCodeAt(before.length - 1 - suffix) === text.charCodeAt(text.length - 1 - suffix)) suffix++;
    // Whole lines are lexed again: from the start of the first changed line to the end of the last.
    // (lastIndexOf reads a negative start as 0: a change at the very start must not find the text's first line break)
    const from = prefix === 0 ? 0 : before.lastIndexOf("\n", prefix - 1) + 1;
    const changedEnd = before.length - suffix;
    const beforeEnd = lineEnd(before, Math.max(changedEnd, from));
    const delta = text.length - before.length;
    const textEnd = beforeEnd + delta;
    // A change over most of the text (another document, a paste) is lexed whole.
    if (beforeEnd - from > before.length / 2) return this.lexer.tokenize(text);
    const fresh = this.lexer.tokenize(text.slice(from, textEnd));
    const firstLine = countLines(text, from) + 1;
    const lineDelta = countLines(text, textEnd) - countLines(before, beforeEnd);
    const place = (token: { startOffset: number; endOffset?: number; startLine?: number; endLine?: number }) => {
      token.startOffset += from;
      if (token.endOffset !== undefined) token.endOffset += from;
      if (token.startLine !== undefined) token.startLine += firstLine - 1;
      if (token.endLine !== undefined) token.endLine += firstLine - 1;
    };
    const move = (token: { startOffset: number; endOffset?: number; startLine?: number; endLine?: number }) => {
      token.startOffset += delta;
      if (token.endOffset !== undefined) token.endOffset += delta;
      if (token.startLine !== undefined) token.startLine += lineDelta;
      if (token.endLine !== undefined) token.endLine += lineDelta;
    };
    const splice = <T extends { startOffset: number; endOffset?: number; startLine?: number; endLine?: number }>(old: T[], made: T[]): T[] => {
      for (const token of made) place(token);
      const out: T[] = [];
      for (const token of old) if (token.startOffset < from) out.push(token);
      out.push(...made);
      for (const token of old) {
        if (token.startOffset > beforeEnd) {
          move(token);
          out.push(token);
        }
      }
      return out;
    };
    const errors = splice(lexed.errors.map(asPositioned), fresh.errors.map(asPositioned)).map(fromPositioned);
    const groups: Record<string, IToken[]> = {};
    for (const name of new Set([...Object.keys(lexed.groups), ...Object.keys(fresh.groups)])) groups[name] = splice(lexed.groups[name] ?? [], fresh.groups[name] ?? []);
    return { tokens: splice(lexed.tokens, fresh.tokens), groups, errors };
  }
}

function lineEnd(text: string, offset: number): number {
  const end = text.indexOf("\n", offset);
  return end < 0 ? text.length : end;
}

function countLines(text: string, end: number): number {
  let lines = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < end; i = text.indexOf("\n", i + 1)) lines++;
  return lines;
}

/** Lexing errors carry `offset` and `line`: seen as tokens to move them alike. */
interface PositionedError {
  startOffset: number;
  startLine?: number;
  error: ILexingError;
}

function asPositioned(error: ILexingError): PositionedError {
  return { startOffset: error.offset, startLine: error.line, error };
}

function fromPositioned(positioned: PositionedError): ILexingError {
  // Chevrotain's message names the offset too.
  const message = positioned.error.message.replace(/at offset: \d+/, `at offset: ${positioned.startOffset}`);
  return { ...positioned.error, offset: positioned.startOffset, line: positioned.startLine, message };
}
