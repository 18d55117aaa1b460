import { Lexer } from "../../src/expression/chevrotain.js";
import type { SemanticTokensLegend } from "vscode-languageserver/node";
import type { CheckedPlaybook } from "../../src/language/check/index.js";
import { dslTokens, KEYWORDS } from "../../src/language/dsl/tokens.js";
import type { SymbolKind } from "../../src/language/symbols.js";
import type { SourceFile } from "../../src/text/source.js";
import { bareNameSpan } from "./features.js";

export const TOKEN_TYPES = ["keyword", "string", "number", "comment", "operator", "variable", "property", "function", "type", "enumMember", "event", "parameter"] as const;
export const TOKEN_MODIFIERS = ["declaration", "readonly"] as const;
export const LEGEND: SemanticTokensLegend = { tokenTypes: [...TOKEN_TYPES], tokenModifiers: [...TOKEN_MODIFIERS] };

type TokenType = (typeof TOKEN_TYPES)[number];
const TYPE_INDEX = new Map(TOKEN_TYPES.map((t, i) => [t, i]));

const SYMBOL_TYPES: Partial<Record<SymbolKind, TokenType>> = {
  field: "property",
  metric: "variable",
  segment: "variable",
  component: "property",
  tier: "enumMember",
  milestone: "enumMember",
  trigger: "event",
  template: "string",
  offer: "string",
  "health-model": "type",
  event: "event",
};

const lexer = new Lexer(dslTokens, { positionTracking: "full", ensureOptimizations: false });
const KEYWORD_TYPES = new Set(Object.values(KEYWORDS));
const FUNCTION_LIKE = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Token {
  start: number;
  end: number;
  type: TokenType;
  declaration: boolean;
}

/**
 * Semantic tokens of a playbook: names coloured by what they stand for
 * (from the symbol table), and for `.play` files also keywords, literals,
 * comments and operators (from the same lexer the parser uses).
 */
export function semanticTokens(checked: CheckedPlaybook, source: SourceFile): number[] {
  const tokens = new Map<number, Token>();
  const put = (token: Token) => {
    if (token.end > token.start) tokens.set(token.start, token);
  };
  if (source.path.endsWith(".play")) {
    const lexed = lexer.tokenize(source.text);
    for (const t of [...lexed.tokens, ...((lexed.groups.comments ?? []) as typeof lexed.tokens)]) {
      const start = t.startOffset;
      const end = t.endOffset! + 1;
      const name = t.tokenType.name;
      let type: TokenType | undefined;
      if (KEYWORD_TYPES.has(t.tokenType) || ["And", "Or", "Not", "In", "True", "False", "Null", "Else"].includes(name)) type = "keyword";
      else if (name === "StringLiteral" || name === "UnterminatedString") type = "string";
      else if (/Literal$/.test(name)) type = "number";
      else if (/Comment$/.test(name)) type = "comment";
      else if (name === "Identifier" && FUNCTION_LIKE.test(t.image) && source.text[end] === "(") type = "function";
      else if (!["Identifier", "LBrace", "RBrace", "LParen", "RParen", "LBracket", "RBracket", "Comma", "Colon", "Dot", "Semicolon"].includes(name)) type = "operator";
      if (type) put({ start, end, type, declaration: false });
    }
  }
  for (const reference of checked.symbols.references) {
    if (reference.file !== source.path) continue;
    const type = SYMBOL_TYPES[reference.kind];
    if (type) put({ start: reference.span.start, end: reference.span.end, type, declaration: false });
  }
  for (const definition of checked.symbols.definitions) {
    if (definition.file !== source.path) continue;
    const type = SYMBOL_TYPES[definition.kind];
    const { start, end } = bareNameSpan(source.text, definition.nameSpan, definition.name);
    if (type) put({ start, end, type, declaration: true });
  }
  const data: number[] = [];
  let lastLine = 0;
  let lastChar = 0;
  for (const token of [...tokens.values()].sort((a, b) => a.start - b.start)) {
    const from = source.positionAt(token.start);
    const to = source.positionAt(token.end);
    if (to.line !== from.line) continue;
    data.push(from.line - lastLine, from.line === lastLine ? from.character - lastChar : from.character, to.character - from.character, TYPE_INDEX.get(token.type)!, token.declaration ? 1 : 0);
    lastLine = from.line;
    lastChar = from.character;
  }
  return data;
}
