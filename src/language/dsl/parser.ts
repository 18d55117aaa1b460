import type { ILexingResult, IToken, TokenType } from "chevrotain";
import { Lexer, tokenMatcher } from "../../expression/chevrotain.js";
import type { Expr } from "../../expression/ast.js";
import { ExpressionGrammar } from "../../expression/grammar.js";
import { unquote } from "../../expression/literals.js";
import { closingUnterminated, depthProblems, firstPerLine, followsUnterminated, forgetParsedTexts, joinDetachedPercents, lexingProblems, malformedDurationProblems, parsingProblems, placedCopies, unterminatedStringProblems, type SyntaxProblem } from "../../expression/parse.js";
import { printExpr } from "../../expression/print.js";
import * as t from "../../expression/tokens.js";
import { formatEnumValues } from "../../expression/types.js";
import type { Span } from "../../text/source.js";
import type { ModelPath, SourceEntry } from "../source-map.js";
import { closestName } from "../../text/suggest.js";
import { Relexer } from "./relex.js";
import { DSL_KEYWORDS, dslTokens, KEYWORDS as K } from "./tokens.js";

type Obj = Record<string, unknown>;

/** A comment kept for the formatter. */
export interface Comment {
  text: string;
  span: Span;
}

export interface DslParseResult {
  /** undefined when the text cannot be read at all */
  model: Obj | undefined;
  entries: { path: ModelPath; entry: SourceEntry }[];
  problems: SyntaxProblem[];
  comments: Comment[];
  /** expressions that did not parse (their problem is among `problems`): the checker leaves them out rather than guess at a fragment */
  broken: ModelPath[];
}

const KEYWORD_TYPES = new Set<TokenType>(Object.values(K));

/** Whether only white space stands before the token on its line (read back without copying the line: it runs for every keyword). */
function startsLine(text: string, token: IToken): boolean {
  for (let i = token.startOffset - 1; i >= 0; i--) {
    const code = text.charCodeAt(i);
    if (code === 10) return true;
    if (code === 32 || code === 9 || code === 13 || code === 11 || code === 12) continue;
    if (code < 128 || !/\s/.test(text[i]!)) return false;
  }
  return true;
}

/** The words a top-level item of a playbook starts with. */
const SECTION_KEYWORDS = ["version", "description", "seed", "account", "events", "metric", "segment", "health", "tiers", "onboarding", "template", "offer", "trigger", "policies", "overrides"];

/** Sets a key as the object's own, even one named `__proto__`, so the checker sees (and refuses) it. */
function setOwn(target: Obj, key: string, value: unknown): void {
  // Only `__proto__` needs defining: assigning it would set the prototype. Any other name is assigned (cheaper, as every statement sets one).
  if (key === "__proto__") Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

/** What may stand between the parentheses of `enum(...)`: values, quoted or not, and commas. */
const ENUM_VALUE_TOKENS: TokenType[] = [
  t.Identifier, t.StringLiteral, t.Comma, t.Minus, t.Plus, t.Star, t.Slash, t.Dot, t.DotDot, t.Colon, t.LParen, t.RParen,
  t.NumberLiteral, t.PercentLiteral, t.DurationLiteral, t.DateLiteral, t.DateTimeLiteral, ...t.EXPRESSION_KEYWORDS,
];

/** Which section a `metric` or `segment` statement fills, and under which key its expression goes when it has a description. */
const METRIC: NamedKind = { section: "metrics", kind: "metric", key: "value" };
const SEGMENT: NamedKind = { section: "segments", kind: "segment", key: "when" };

interface NamedKind {
  section: string;
  kind: string;
  key: string;
}

/** The parser's place in its tokens and its errors so far: Chevrotain keeps them, without declaring them in its types. */
interface ChevrotainPosition {
  exportLexerState(): number;
  importLexerState(index: number): void;
  _errors: unknown[];
}

/** Expressions parsed cleanly, by what decides their parse (see memoKey): each with how many tokens it took and its tree at a given place. */
const expressionMemo = new Map<string, { tokens: number; at: (offset: number) => Expr }>();

const dslLexer = new Lexer(dslTokens, { positionTracking: "full", ensureOptimizations: false });
const relexer = new Relexer(dslLexer);

/**
 * The `.play` parser: reads the whole DSL into the model's plain shape and
 * records where each node was written. Chevrotain's error recovery lets it
 * go on after a mistake, so one pass reports many errors and the editor keeps
 * an outline of everything that did parse.
 */
class PlaybookParser extends ExpressionGrammar {
  private model: Obj = {};
  private entries: { path: ModelPath; entry: SourceEntry }[] = [];
  private docComments: IToken[] = [];
  /** the `///` lines read as a description: the others stay comments, so the formatter never drops one */
  readonly usedDocs = new Set<IToken>();
  private text = "";
  duplicates: { path: ModelPath; span: Span; kind: string; name: string }[] = [];
  broken: ModelPath[] = [];
  private brokenExprs = new WeakSet<Expr>();
  private pendingNamed: { what: NamedKind; head: IToken; name: IToken; equals: IToken } | undefined;

  constructor() {
    super(dslTokens);
    this.performSelfAnalysis();
  }

  parseFile(tokens: IToken[], comments: IToken[], text: string): Obj {
    this.input = tokens;
    this.text = text;
    this.model = {};
    this.entries = [];
    this.duplicates = [];
    this.broken = [];
    this.brokenExprs = new WeakSet();
    this.pendingNamed = undefined;
    this.literalProblems = [];
    this.docComments = comments.filter((c) => c.tokenType === t.DocComment);
    this.usedDocs.clear();
    this.playbookFile();
    return this.model;
  }

  takeEntries() {
    return this.entries;
  }

  protected override recoveryValue(ruleName: string): (() => unknown) | undefined {
    if (ruleName === "numberValue" || ruleName === "integer") return () => ({ value: 0, span: this.span(this.LA(0)) });
    if (ruleName === "missingPolicy") return () => ({ value: "skip", span: this.span(this.LA(0)) });
    // A metric or segment cut short is given up where the next section starts: it is still defined, as broken.
    if (ruleName === "topItem" || ruleName === "metricItem" || ruleName === "segmentItem") return () => this.definePendingAsBroken();
    return super.recoveryValue(ruleName);
  }

  protected override canStartOperand(token: IToken): boolean {
    return token.tokenType === t.Identifier || !KEYWORD_TYPES.has(token.tokenType) || !this.startsLine(token);
  }

  /**
   * Parses an expression, or takes it from the memo when the same text, in
   * the same surroundings, parsed cleanly before. The editor re-parses the
   * whole file after every keystroke; an edit changes one expression, and
   * the others are then read again only as far as their key.
   */
  private memoized(parse: () => Expr): Expr {
    if (this.RECORDING_PHASE) return parse();
    const position = this as unknown as ChevrotainPosition;
    const before = position.exportLexerState();
    const key = this.memoKey(before + 1);
    const found = key === undefined ? undefined : expressionMemo.get(key);
    if (found) {
      position.importLexerState(before + found.tokens);
      return found.at(this.input[before + 1]!.startOffset);
    }
    const errors = position._errors.length;
    const literalProblems = this.literalProblems.length;
    const expr = parse();
    if (position._errors.length > errors) this.brokenExprs.add(expr);
    // Only a clean parse is kept: errors and their recovery depend on more than the expression's own text.
    if (key !== undefined && position._errors.length === errors && this.literalProblems.length === literalProblems && position.exportLexerState() > before) {
      if (expressionMemo.size >= 20_000) expressionMemo.clear();
      expressionMemo.set(key, { tokens: position.exportLexerState() - before, at: placedCopies(expr, this.input[before + 1]!.startOffset) });
    }
    return expr;
  }

  /**
   * What decides how the expression starting at token `first` parses: its
   * text up to the next line that starts with a keyword (an expression never
   * runs past one, see canStartOperand), the kinds of the three tokens from
   * there (the most the parser looks ahead), and whether the expression
   * starts a line. Undefined for a run too long to be worth keeping.
   */
  private memoKey(first: number): string | undefined {
    const tokens = this.input;
    const start = tokens[first];
    if (!start) return undefined;
    let end = first + 1;
    while (end < tokens.length && !(KEYWORD_TYPES.has(tokens[end]!.tokenType) && this.startsLine(tokens[end]!))) {
      if (end - first > 256) return undefined;
      end++;
    }
    const after = tokens.slice(end, end + 3).map((token) => token.tokenType.name).join(",");
    const textEnd = end < tokens.length ? tokens[end]!.startOffset : this.text.length;
    return `${this.startsLine(start) ? "^" : ""}${after}|${this.text.slice(start.startOffset, textEnd)}`;
  }

  /** Whether the token begins its line (see startsLine). */
  private startsLine(token: IToken): boolean {
    return startsLine(this.text, token);
  }

  // ---- helpers used from actions -------------------------------------------------

  private record(path: ModelPath, span: Span, keySpan?: Span, textOffset?: number): void {
    this.entries.push({ path, entry: { span, ...(keySpan ? { keySpan } : {}), ...(textOffset !== undefined ? { textOffset } : {}) } });
  }

  /** The latest place recorded for `path`, found from the end: a block's own entry is a few entries back when it closes. */
  private lastEntryAt(path: ModelPath): SourceEntry | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const candidate = this.entries[i]!;
      if (candidate.path.length === path.length && candidate.path.every((part, k) => part === path[k])) return candidate.entry;
    }
    return undefined;
  }

  /** Sets one setting of a model node and remembers where its value was written. */
  private put(target: Obj, path: ModelPath, key: string, value: unknown, span: Span): void {
    if (this.alreadySet(target, path, key, span)) return;
    setOwn(target, key, value);
    this.record([...path, key], span);
  }

  /** A setting written twice in one block (a second `cooldown` in a trigger): the first holds, and the second is reported, never silently taken. */
  private alreadySet(target: Obj, path: ModelPath, key: string, span: Span): boolean {
    if (!Object.hasOwn(target, key)) return false;
    this.duplicates.push({ path: [...path, key], span, kind: "setting", name: key });
    return true;
  }

  /** Stores the text of an expression as written, and where it starts. */
  private exprText(expr: Expr): string {
    return this.text.slice(expr.span.start, expr.span.end);
  }

  private setExpr(target: Obj, key: string, path: ModelPath, expr: Expr | undefined): void {
    if (!expr || expr.kind === "error" && expr.span.end <= expr.span.start) return;
    if (this.alreadySet(target, path, key, expr.span)) return;
    if (this.brokenExprs.has(expr)) this.broken.push([...path, key]);
    setOwn(target, key, this.exprText(expr));
    this.record([...path, key], expr.span, undefined, expr.span.start);
  }

  /** The `///` comment lines just above `token`, joined: they become the description. */
  private docBefore(token: IToken): string | undefined {
    const lines: string[] = [];
    let cursor = token.startOffset;
    // The last doc comment that ends before the token, found by halving (they are in file order): every statement asks.
    let low = 0;
    let high = this.docComments.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.docComments[middle]!.endOffset! < cursor) low = middle + 1;
      else high = middle;
    }
    for (let i = low - 1; i >= 0; i--) {
      const doc = this.docComments[i]!;
      if (!this.onlyBlankBetween(doc.endOffset! + 1, cursor)) break;
      lines.unshift(doc.image.replace(/^\/\/\/ ?/, "").trimEnd());
      this.usedDocs.add(doc);
      cursor = doc.startOffset;
    }
    return lines.length > 0 ? lines.join("\n") : undefined;
  }

  /** Whether only white space, on at most two lines, stands between two offsets: read up to the first other character, not copied. */
  private onlyBlankBetween(from: number, to: number): boolean {
    let newlines = 0;
    for (let i = from; i < to; i++) {
      const code = this.text.charCodeAt(i);
      if (code === 10 && ++newlines > 1) return false;
      if (code !== 10 && code !== 32 && code !== 9 && code !== 13 && code !== 11 && code !== 12 && (code < 128 || !/\s/.test(this.text[i]!))) return false;
    }
    return true;
  }

  private withDoc(target: Obj, token: IToken, path: ModelPath): void {
    const doc = this.docBefore(token);
    if (doc !== undefined) {
      target.description = doc;
      this.record([...path, "description"], this.span(token));
    }
  }

  /** A map section (`metrics`, `triggers`...) of the model, created on first use. */
  private section(key: string): Obj {
    return ((this.model[key] as Obj | undefined) ??= {});
  }

  private addNamed(container: Obj, containerPath: ModelPath, nameToken: IToken, name: string, value: unknown, kind: string, span: Span): ModelPath {
    const path = [...containerPath, name];
    if (Object.hasOwn(container, name)) {
      this.duplicates.push({ path, span: this.span(nameToken), kind, name });
      return path;
    }
    setOwn(container, name, value);
    this.record(path, span, this.span(nameToken));
    return path;
  }

  /** Splits enum tokens at commas: each value is a quoted text, or the source text of its tokens. */
  private enumValues(tokens: IToken[]): { values: string[]; unquoted: string[] } {
    const values: string[] = [];
    const unquoted: string[] = [];
    let group: IToken[] = [];
    const close = () => {
      if (group.length === 0) return;
      if (group.length === 1 && group[0]!.tokenType === t.StringLiteral) values.push(unquote(group[0]!.image));
      else {
        const text = this.text.slice(group[0]!.startOffset, group[group.length - 1]!.endOffset! + 1);
        values.push(text);
        if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(text)) unquoted.push(text);
      }
      group = [];
    };
    for (const token of tokens) {
      if (token.tokenType === t.Comma) close();
      else group.push(token);
    }
    close();
    return { values, unquoted };
  }

  private nameOf(token: IToken): string {
    return token.tokenType === t.StringLiteral ? unquote(token.image) : token.image;
  }

  private stringValue(token: IToken): string {
    return token.tokenType === t.StringLiteral ? unquote(token.image) : "";
  }

  // ---- grammar ---------------------------------------------------------------------

  private readonly playbookFile = this.RULE("playbookFile", () => {
    const head = this.CONSUME(K.playbook);
    const name = this.CONSUME(t.StringLiteral);
    this.ACTION(() => {
      this.model.playbook = this.stringValue(name);
      this.record([], this.span(head, name), this.span(name));
      this.record(["playbook"], this.span(name));
      this.withDoc(this.model, head, []);
    });
    this.OPTION(() => {
      this.CONSUME(K.extends);
      const base = this.CONSUME2(t.StringLiteral);
      this.ACTION(() => {
        this.model.extends = this.stringValue(base);
        this.record(["extends"], this.span(base));
      });
    });
    this.CONSUME(t.LBrace);
    this.MANY(() => this.SUBRULE(this.topItem));
    this.CONSUME(t.RBrace);
  });

  private topItemAlternatives: Parameters<PlaybookParser["OR"]>[0] | undefined;

  private readonly topItem = this.RULE("topItem", () => {
    // The alternatives are made once, not for every section read (Chevrotain's advice for a hot OR).
    this.OR((this.topItemAlternatives ??= {
      ERR_MSG: "a section such as account, metric, segment, health, tiers, onboarding, trigger, template, offer, policies or overrides",
      DEF: [
        { ALT: () => this.SUBRULE(this.versionItem) },
        { ALT: () => this.SUBRULE(this.descriptionItem) },
        { ALT: () => this.SUBRULE(this.seedItem) },
        { ALT: () => this.SUBRULE(this.accountBlock) },
        { ALT: () => this.SUBRULE(this.eventsBlock) },
        { ALT: () => this.SUBRULE(this.metricItem) },
        { ALT: () => this.SUBRULE(this.segmentItem) },
        { ALT: () => this.SUBRULE(this.healthBlock) },
        { ALT: () => this.SUBRULE(this.tiersBlock) },
        { ALT: () => this.SUBRULE(this.onboardingBlock) },
        { ALT: () => this.SUBRULE(this.templateBlock) },
        { ALT: () => this.SUBRULE(this.offerBlock) },
        { ALT: () => this.SUBRULE(this.triggerBlock) },
        { ALT: () => this.SUBRULE(this.policiesBlock) },
        { ALT: () => this.SUBRULE(this.overridesBlock) },
      ],
    }));
  });

  private readonly versionItem = this.RULE("versionItem", () => {
    this.CONSUME(K.version);
    const value = this.CONSUME(t.NumberLiteral);
    this.ACTION(() => {
      this.model.version = Number(value.image.replace(/_/g, ""));
      this.record(["version"], this.span(value));
    });
  });

  private readonly descriptionItem = this.RULE("descriptionItem", () => {
    this.CONSUME(K.description);
    const value = this.CONSUME(t.StringLiteral);
    this.ACTION(() => {
      this.model.description = this.stringValue(value);
      this.record(["description"], this.span(value));
    });
  });

  private readonly seedItem = this.RULE("seedItem", () => {
    this.CONSUME(K.seed);
    const value = this.CONSUME(t.StringLiteral);
    this.ACTION(() => {
      this.model.seed = this.stringValue(value);
      this.record(["seed"], this.span(value));
    });
  });

  // account { arr: money  nps: int?  plan: enum(a, b) = "a" }
  private readonly accountBlock = this.RULE("accountBlock", () => {
    const head = this.CONSUME(K.account);
    this.ACTION(() => {
      this.section("account");
      if (!this.entries.some((e) => e.path.length === 1 && e.path[0] === "account")) this.record(["account"], this.span(head), this.span(head));
    });
    this.CONSUME(t.LBrace);
    this.MANY(() => {
      const field = this.SUBRULE(this.fieldDecl);
      this.ACTION(() => {
        if (field) this.addNamed(this.section("account"), ["account"], field.nameToken, field.nameToken.image, field.value, "field", field.span);
        if (field) this.recordField(["account", field.nameToken.image], field);
      });
    });
    this.CONSUME(t.RBrace);
  });

  private recordField(path: ModelPath, field: FieldDecl): void {
    this.record([...path, "type"], field.typeSpan);
    if (field.defaultSpan) this.record([...path, "default"], field.defaultSpan);
  }

  private readonly fieldDecl = this.RULE("fieldDecl", (): FieldDecl => {
    const name = this.CONSUME(t.Identifier);
    const colon = this.CONSUME(t.Colon);
    let typeName = colon;
    let typeText = "";
    let last = colon;
    // A type on a later line is the next field's name: the field has none (the checker says so, once), and the next field stays whole.
    this.OPTION4({
      GATE: () => !this.startsLine(this.LA(1)),
      DEF: () => {
        typeName = this.CONSUME2(t.Identifier);
        last = typeName;
        this.ACTION(() => (typeText = typeName.image));
      },
    });
    this.OPTION(() => {
      const open = this.CONSUME(t.LParen);
      // Enum values are read token by token up to `)`, so one written without its quotes
      // (`One year`, `Credit card (automatic)`) gives one clear diagnostic, not a cascade.
      const tokens: IToken[] = [];
      let depth = 0;
      this.MANY({
        // A `)` ends the type unless it closes a `(` inside a value written without quotes.
        GATE: () => ENUM_VALUE_TOKENS.some((type) => tokenMatcher(this.LA(1), type)) && (this.LA(1).tokenType !== t.RParen || depth > 0),
        DEF: () => {
          const token = this.OR(ENUM_VALUE_TOKENS.map((type) => ({ ALT: () => this.CONSUME4(type) })));
          if (token.tokenType === t.LParen) depth++;
          if (token.tokenType === t.RParen) depth--;
          this.ACTION(() => tokens.push(token));
        },
      });
      last = this.CONSUME(t.RParen);
      this.ACTION(() => {
        const { values, unquoted } = this.enumValues(tokens);
        typeText += `(${formatEnumValues(values)})`;
        if (unquoted.length > 0) {
          const quoted = `enum(${values.map((v) => JSON.stringify(v)).join(", ")})`;
          this.literalProblems.push({
            code: "TL2002",
            span: this.span(open, last),
            message: `enum values that are not plain words are written in quotes: ${unquoted.map((v) => `\`${v}\``).join(", ")}; write ${quoted}`,
          });
        }
      });
    });
    this.OPTION2(() => {
      last = this.CONSUME(t.Question);
      this.ACTION(() => (typeText += "?"));
    });
    let defaultValue: unknown;
    let defaultSpan: Span | undefined;
    this.OPTION3(() => {
      const equals = this.CONSUME(t.Equals);
      // A default is written on the field's line: the next line is the next field, not the value.
      this.OR7([
        {
          GATE: () => !this.startsLine(this.LA(1)),
          ALT: () => {
            const expr = this.memoized(() => this.SUBRULE(this.expression));
            this.ACTION(() => {
              defaultValue = literalValue(expr);
              defaultSpan = expr.span;
              if (defaultValue === undefined) {
                this.literalProblems.push({ code: "TL2022", span: expr.span, message: `a default value must be a plain value such as 0, "UTC" or true, not \`${printExpr(expr)}\`` });
              }
            });
          },
        },
        {
          ALT: () =>
            this.ACTION(() => this.literalProblems.push({ code: "TL2022", span: this.span(equals), message: `the default value of \`${name.image}\` is missing after \`=\`: write one such as 0, "UTC" or true, or remove the \`=\`` })),
        },
      ]);
    });
    return this.ACTION(() => {
      const doc = this.docBefore(name);
      const simple = doc === undefined && defaultValue === undefined;
      const spec: Obj = { type: typeText };
      if (doc !== undefined) spec.description = doc;
      if (defaultValue !== undefined) spec.default = defaultValue;
      return { nameToken: name, value: simple ? typeText : spec, span: this.span(name, last), typeSpan: this.span(typeName, last), defaultSpan };
    });
  });

  // events { login { user_id: string }  "feature-used" }
  private readonly eventsBlock = this.RULE("eventsBlock", () => {
    const head = this.CONSUME(K.events);
    this.ACTION(() => {
      this.section("events");
      this.record(["events"], this.span(head), this.span(head));
    });
    this.CONSUME(t.LBrace);
    this.MANY(() => {
      const name = this.OR([{ ALT: () => this.CONSUME(t.Identifier) }, { ALT: () => this.CONSUME(t.StringLiteral) }]);
      const spec: Obj = {};
      let path: ModelPath = [];
      this.ACTION(() => {
        const doc = this.docBefore(name);
        if (doc !== undefined) spec.description = doc;
        path = this.addNamed(this.section("events"), ["events"], name, this.nameOf(name), spec, "event type", this.span(name));
      });
      this.OPTION(() => {
        this.CONSUME2(t.LBrace);
        this.MANY2(() => {
          const field = this.SUBRULE(this.fieldDecl);
          this.OPTION2(() => this.CONSUME(t.Comma));
          this.ACTION(() => {
            if (!field) return;
            const properties = ((spec.properties as Obj | undefined) ??= {});
            this.addNamed(properties, [...path, "properties"], field.nameToken, field.nameToken.image, field.value, "property", field.span);
            this.recordField([...path, "properties", field.nameToken.image], field);
          });
        });
        this.CONSUME2(t.RBrace);
      });
    });
    this.CONSUME(t.RBrace);
  });

  private readonly metricItem = this.RULE("metricItem", () => this.namedItem(K.metric, METRIC));

  private readonly segmentItem = this.RULE("segmentItem", () => this.namedItem(K.segment, SEGMENT));

  private readonly namedValue = (): Expr => this.SUBRULE(this.expression);

  /**
   * `metric name = expr` and `segment name = expr`: remembered as pending until the expression is read, so a cut-short one is still defined.
   * (Actions are written as RECORDING_PHASE tests, not ACTION closures: this runs for every definition on every keystroke.)
   */
  private namedItem(keyword: TokenType, what: NamedKind): void {
    const head = this.CONSUME(keyword);
    const name = this.CONSUME(t.Identifier);
    const equals = this.CONSUME(t.Equals);
    if (!this.RECORDING_PHASE) this.pendingNamed = { what, head, name, equals };
    const expr = this.memoized(this.namedValue);
    if (!this.RECORDING_PHASE) {
      this.pendingNamed = undefined;
      this.namedExpression(what.section, what.kind, what.key, head, name, expr);
    }
  }

  /**
   * A metric or segment whose expression could not be read at all (`metric
   * m =` and nothing yet): still defined, as broken, so its uses are not
   * reported as unknown names on top of the one syntax error.
   */
  private definePendingAsBroken(): void {
    const pending = this.pendingNamed;
    this.pendingNamed = undefined;
    if (!pending) return;
    const after = this.span(pending.equals).end;
    const expr: Expr = { kind: "error", span: { start: after, end: after } };
    this.brokenExprs.add(expr);
    this.namedExpression(pending.what.section, pending.what.kind, pending.what.key, pending.head, pending.name, expr);
  }

  /** Metrics and segments: the plain expression, or an object when a doc comment describes it. */
  private namedExpression(section: string, kind: string, key: string, head: IToken, name: IToken, expr: Expr): void {
    const container = this.section(section);
    if (Object.hasOwn(container, name.image)) {
      this.duplicates.push({ path: [section, name.image], span: this.span(name), kind, name: name.image });
      return;
    }
    const doc = this.docBefore(head);
    const text = this.exprText(expr);
    const path = [section, name.image];
    if (this.brokenExprs.has(expr)) this.broken.push(doc === undefined ? path : [...path, key]);
    if (doc === undefined) {
      setOwn(container, name.image, text);
      this.record(path, expr.span, this.span(name), expr.span.start);
    } else {
      setOwn(container, name.image, { [key]: text, description: doc });
      this.record(path, { start: this.span(head).start, end: expr.span.end }, this.span(name));
      this.record([...path, key], expr.span, undefined, expr.span.start);
    }
  }

  // health [name] [when expr] [priority n] [extends base] { ... }
  private readonly healthBlock = this.RULE("healthBlock", () => {
    const head = this.CONSUME(K.health);
    let modelName: IToken | undefined;
    const model: Obj = {};
    let path: ModelPath = ["health"];
    this.OPTION(() => (modelName = this.CONSUME(t.Identifier)));
    this.ACTION(() => {
      if (modelName) {
        path = this.addNamed(this.section("health_models"), ["health_models"], modelName, modelName.image, model, "health model", this.span(head, modelName));
      } else if (this.model.health !== undefined) {
        this.duplicates.push({ path, span: this.span(head), kind: "section", name: "health" });
      } else {
        this.model.health = model;
        this.record(path, this.span(head), this.span(head));
      }
      this.withDoc(model, head, path);
    });
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(K.when);
            const expr = this.memoized(() => this.SUBRULE(this.expression));
            this.ACTION(() => this.setExpr(model, "when", path, expr));
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.priority);
            const value = this.SUBRULE(this.integer);
            this.ACTION(() => this.put(model, path, "priority", value.value, value.span));
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.extends);
            const base = this.CONSUME2(t.Identifier);
            this.ACTION(() => this.put(model, path, "extends", base.image, this.span(base)));
          },
        },
      ]);
    });
    this.CONSUME(t.LBrace);
    this.MANY2(() => this.SUBRULE(this.healthItem, { ARGS: [model, path] }));
    this.CONSUME(t.RBrace);
  });

  private readonly healthItem = this.RULE("healthItem", (model: Obj, path: ModelPath) => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      ERR_MSG: "a health component (name weight% = score), cap, status, missing or trend",
      DEF: [
        {
          ALT: () => {
            const head = this.CONSUME(K.cap);
            const cap: Obj = {};
            this.OR2([
              {
                ALT: () => {
                  const status = this.CONSUME(K.yellow);
                  this.ACTION(() => (cap.status = status.image));
                },
              },
              {
                ALT: () => {
                  const status = this.CONSUME(K.red);
                  this.ACTION(() => (cap.status = status.image));
                },
              },
              {
                ALT: () => {
                  const score = this.SUBRULE(this.numberValue);
                  this.ACTION(() => (cap.score = score.value));
                },
              },
            ]);
            this.CONSUME(K.when);
            const expr = this.memoized(() => this.SUBRULE(this.expression));
            this.ACTION(() => {
              const caps = ((model.caps as Obj[] | undefined) ??= []);
              const capPath = [...path, "caps", caps.length];
              caps.push(cap);
              this.record(capPath, { start: this.span(head).start, end: expr.span.end }, this.span(head));
              this.withDoc(cap, head, capPath);
              this.setExpr(cap, "when", capPath, expr);
            });
          },
        },
        {
          ALT: () => {
            const head = this.CONSUME(K.status);
            this.CONSUME(K.green);
            this.CONSUME(t.GreaterEqual);
            const green = this.SUBRULE2(this.numberValue);
            this.CONSUME(t.Comma);
            this.CONSUME2(K.yellow);
            this.CONSUME2(t.GreaterEqual);
            const yellow = this.SUBRULE3(this.numberValue);
            this.ACTION(() => {
              model.status = { green: green.value, yellow: yellow.value };
              this.record([...path, "status"], { start: this.span(head).start, end: yellow.span.end }, this.span(head));
              this.record([...path, "status", "green"], green.span);
              this.record([...path, "status", "yellow"], yellow.span);
            });
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.missing);
            const policy = this.SUBRULE(this.missingPolicy);
            this.ACTION(() => this.put(model, path, "missing", policy.value, policy.span));
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.trend);
            const duration = this.CONSUME(t.DurationLiteral);
            this.ACTION(() => this.put(model, path, "trend", duration.image, this.span(duration)));
          },
        },
        {
          ALT: () => {
            const name = this.CONSUME(t.Identifier);
            const component: Obj = {};
            let componentPath: ModelPath = [];
            this.ACTION(() => {
              const components = ((model.components as Obj | undefined) ??= {});
              componentPath = this.addNamed(components, [...path, "components"], name, name.image, component, "health component", this.span(name));
              this.withDoc(component, name, componentPath);
            });
            let end = this.span(name).end;
            this.OPTION(() => {
              const weight = this.OR3([
                { ALT: () => this.CONSUME(t.PercentLiteral) },
                {
                  // `adoption 40 = ...`: the percent sign forgotten; read as meant, with one error that says so.
                  ALT: () => {
                    const number = this.CONSUME(t.NumberLiteral);
                    this.ACTION(() => this.literalProblems.push({ code: "TL1002", span: this.span(number), message: `a weight is a percentage: write \`${number.image}%\`` }));
                    return { ...number, image: `${number.image}%` };
                  },
                },
              ]);
              this.ACTION(() => {
                component.weight = weight.image;
                this.record([...componentPath, "weight"], this.span(weight));
                end = this.span(weight).end;
              });
            });
            this.OPTION2(() => {
              this.CONSUME2(K.missing);
              const policy = this.SUBRULE2(this.missingPolicy);
              this.ACTION(() => {
                component.missing = policy.value;
                this.record([...componentPath, "missing"], policy.span);
                end = policy.span.end;
              });
            });
            this.OPTION3(() => {
              this.CONSUME(t.Equals);
              const expr = this.memoized(() => this.SUBRULE2(this.expression));
              this.ACTION(() => {
                this.setExpr(component, "score", componentPath, expr);
                end = expr.span.end;
              });
            });
            this.ACTION(() => {
              const entry = this.lastEntryAt(componentPath);
              if (entry) entry.span = { start: this.span(name).start, end };
            });
          },
        },
      ],
    });
  });

  // for high_touch, renewal_window: tiers and segments, separated by commas (a missing comma is said, and read as if there)
  private readonly scopeNames = this.RULE("scopeNames", (): IToken[] => {
    const names: IToken[] = [];
    this.AT_LEAST_ONE_SEP({ SEP: t.Comma, DEF: () => names.push(this.CONSUME(t.Identifier)) });
    this.MANY({
      // Only a plain name: a keyword (when, cooldown...) starts the next setting.
      GATE: () => this.LA(1).tokenType === t.Identifier,
      DEF: () => {
        const missing = this.CONSUME2(t.Identifier);
        this.ACTION(() => this.literalProblems.push({ code: "TL1002", span: this.span(missing), message: `a comma is missing before \`${missing.image}\`: names in a list are separated by commas, as in \`for ${[...names, missing].map((n) => n.image).join(", ")}\`` }));
        names.push(missing);
      },
    });
    return names;
  });

  private readonly missingPolicy = this.RULE("missingPolicy", (): { value: number | string; span: Span } =>
    this.OR([
      {
        ALT: () => {
          const token = this.CONSUME(K.skip);
          return this.ACTION(() => ({ value: token.image, span: this.span(token) }));
        },
      },
      {
        ALT: () => {
          const token = this.CONSUME(K.zero);
          return this.ACTION(() => ({ value: token.image, span: this.span(token) }));
        },
      },
      { ALT: () => this.SUBRULE(this.numberValue) },
    ]),
  );

  private readonly numberValue = this.RULE("numberValue", (): { value: number; span: Span } => {
    const token = this.CONSUME(t.NumberLiteral);
    return this.ACTION(() => ({ value: Number(token.image.replace(/_/g, "")), span: this.span(token) }));
  });

  private readonly integer = this.RULE("integer", (): { value: number; span: Span } => {
    const minus = this.OPTION(() => this.CONSUME(t.Minus));
    const token = this.CONSUME(t.NumberLiteral);
    return this.ACTION(() => ({ value: (minus ? -1 : 1) * Number(token.image.replace(/_/g, "")), span: this.span(minus ?? token, token) }));
  });

  // tiers [hysteresis 14d] { high_touch when arr >= 100_000   tech_touch otherwise }
  private readonly tiersBlock = this.RULE("tiersBlock", () => {
    const head = this.CONSUME(K.tiers);
    const tiers: Obj = { rules: [] };
    this.ACTION(() => {
      if (this.model.tiers !== undefined) this.duplicates.push({ path: ["tiers"], span: this.span(head), kind: "section", name: "tiers" });
      else {
        this.model.tiers = tiers;
        this.record(["tiers"], this.span(head), this.span(head));
        this.record(["tiers", "rules"], this.span(head));
      }
    });
    this.OPTION(() => {
      this.CONSUME(K.hysteresis);
      const duration = this.CONSUME(t.DurationLiteral);
      this.ACTION(() => this.put(tiers, ["tiers"], "hysteresis", duration.image, this.span(duration)));
    });
    this.CONSUME(t.LBrace);
    this.MANY(() => {
      const name = this.CONSUME(t.Identifier);
      const rule: Obj = {};
      let rulePath: ModelPath = [];
      this.ACTION(() => {
        const rules = tiers.rules as Obj[];
        rulePath = ["tiers", "rules", rules.length];
        rule.tier = name.image;
        const doc = this.docBefore(name);
        if (doc !== undefined) rule.description = doc;
        rules.push(rule);
        this.record([...rulePath, "tier"], this.span(name));
      });
      this.OR([
        {
          ALT: () => {
            this.CONSUME(K.when);
            const expr = this.memoized(() => this.SUBRULE(this.expression));
            this.ACTION(() => {
              this.setExpr(rule, "when", rulePath, expr);
              this.record(rulePath, { start: this.span(name).start, end: expr.span.end }, this.span(name));
            });
          },
        },
        {
          ALT: () => {
            const otherwise = this.CONSUME(K.otherwise);
            this.ACTION(() => this.record(rulePath, this.span(name, otherwise), this.span(name)));
          },
        },
      ]);
    });
    this.CONSUME(t.RBrace);
  });

  // onboarding from contract_start [due_soon 3d] [health model] { kickoff due 7d [after x] done when expr }
  private readonly onboardingBlock = this.RULE("onboardingBlock", () => {
    const head = this.CONSUME(K.onboarding);
    const onboarding: Obj = { milestones: {} };
    this.ACTION(() => {
      if (this.model.onboarding !== undefined) this.duplicates.push({ path: ["onboarding"], span: this.span(head), kind: "section", name: "onboarding" });
      else {
        this.model.onboarding = onboarding;
        this.record(["onboarding"], this.span(head), this.span(head));
        this.record(["onboarding", "milestones"], this.span(head));
      }
    });
    this.CONSUME(K.from);
    const start = this.memoized(() => this.SUBRULE(this.expression));
    this.ACTION(() => this.setExpr(onboarding, "start", ["onboarding"], start));
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(K.due_soon);
            const duration = this.CONSUME(t.DurationLiteral);
            this.ACTION(() => this.put(onboarding, ["onboarding"], "due_soon", duration.image, this.span(duration)));
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.within);
            const duration = this.CONSUME3(t.DurationLiteral);
            this.ACTION(() => this.put(onboarding, ["onboarding"], "within", duration.image, this.span(duration)));
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.health);
            const model = this.CONSUME(t.Identifier);
            this.ACTION(() => this.put(onboarding, ["onboarding"], "health_model", model.image, this.span(model)));
          },
        },
      ]);
    });
    this.CONSUME(t.LBrace);
    this.MANY2(() => {
      const name = this.CONSUME2(t.Identifier);
      const milestone: Obj = {};
      let path: ModelPath = [];
      this.ACTION(() => {
        path = this.addNamed(onboarding.milestones as Obj, ["onboarding", "milestones"], name, name.image, milestone, "milestone", this.span(name));
        this.withDoc(milestone, name, path);
      });
      this.CONSUME(K.due);
      const due = this.CONSUME2(t.DurationLiteral);
      this.ACTION(() => this.put(milestone, path, "due", due.image, this.span(due)));
      this.OPTION(() => {
        this.CONSUME(K.after);
        const after = this.CONSUME3(t.Identifier);
        this.ACTION(() => this.put(milestone, path, "after", after.image, this.span(after)));
      });
      this.CONSUME(K.done);
      this.CONSUME(K.when);
      const doneWhen = this.memoized(() => this.SUBRULE2(this.expression));
      this.ACTION(() => this.setExpr(milestone, "done_when", path, doneWhen));
    });
    this.CONSUME(t.RBrace);
  });

  // template "adoption-tips" { subject "..." body "..." | file "..."  text "..."  category "..."  transactional }
  private readonly templateBlock = this.RULE("templateBlock", () => {
    const head = this.CONSUME(K.template);
    const name = this.CONSUME(t.StringLiteral);
    const template: Obj = {};
    let path: ModelPath = [];
    this.ACTION(() => {
      path = this.addNamed(this.section("templates"), ["templates"], name, this.nameOf(name), template, "template", this.span(head, name));
      this.withDoc(template, head, path);
    });
    this.CONSUME(t.LBrace);
    this.MANY(() => {
      this.OR2([
        {
          ALT: () => {
            const key = this.OR([
              { ALT: () => this.CONSUME(K.subject) },
              { ALT: () => this.CONSUME(K.body) },
              { ALT: () => this.CONSUME(K.file) },
              { ALT: () => this.CONSUME(K.text) },
              { ALT: () => this.CONSUME(K.category) },
            ]);
            const value = this.CONSUME2(t.StringLiteral);
            this.ACTION(() => {
              setOwn(template, key.image, this.stringValue(value));
              this.record([...path, key.image], this.span(value));
            });
          },
        },
        {
          ALT: () => {
            const flag = this.CONSUME(K.transactional);
            this.ACTION(() => this.put(template, path, "transactional", true, this.span(flag)));
          },
        },
      ]);
    });
    this.CONSUME(t.RBrace);
  });

  // offer "seats-pack-10" { product "..." discount 10% expires 30d }
  private readonly offerBlock = this.RULE("offerBlock", () => {
    const head = this.CONSUME(K.offer);
    const name = this.CONSUME(t.StringLiteral);
    const offer: Obj = {};
    let path: ModelPath = [];
    this.ACTION(() => {
      path = this.addNamed(this.section("offers"), ["offers"], name, this.nameOf(name), offer, "offer", this.span(head, name));
      this.withDoc(offer, head, path);
    });
    this.CONSUME(t.LBrace);
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(K.product);
            const value = this.CONSUME2(t.StringLiteral);
            this.ACTION(() => this.put(offer, path, "product", this.stringValue(value), this.span(value)));
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.discount);
            const value = this.CONSUME(t.PercentLiteral);
            this.ACTION(() => this.put(offer, path, "discount", value.image, this.span(value)));
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.expires);
            const value = this.CONSUME(t.DurationLiteral);
            this.ACTION(() => this.put(offer, path, "expires", value.image, this.span(value)));
          },
        },
      ]);
    });
    this.CONSUME(t.RBrace);
  });

  // trigger name [priority n] { ... }
  private readonly triggerBlock = this.RULE("triggerBlock", () => {
    const head = this.CONSUME(K.trigger);
    const name = this.CONSUME(t.Identifier);
    const trigger: Obj = {};
    let path: ModelPath = [];
    this.ACTION(() => {
      path = this.addNamed(this.section("triggers"), ["triggers"], name, name.image, trigger, "trigger", this.span(head, name));
      this.withDoc(trigger, head, path);
    });
    this.OPTION(() => {
      this.CONSUME(K.priority);
      const value = this.SUBRULE(this.integer);
      this.ACTION(() => this.put(trigger, path, "priority", value.value, value.span));
    });
    this.CONSUME(t.LBrace);
    this.MANY(() => this.SUBRULE(this.triggerItem, { ARGS: [trigger, path] }));
    const close = this.CONSUME(t.RBrace);
    this.ACTION(() => {
      const entry = this.lastEntryAt(path);
      if (entry) entry.span = this.span(head, close);
    });
  });

  private readonly triggerItem = this.RULE("triggerItem", (trigger: Obj, path: ModelPath) => {
    this.OR({
      ERR_MSG: "a trigger setting (for, when, fire, cooldown, limit, holdout, enroll, goal) or an action (email, task, offer, webhook, step)",
      DEF: [
        {
          ALT: () => {
            const head = this.CONSUME(K.for);
            // The tiers and segments are on the line of `for`: a keyword on the next line starts the next setting.
            this.OR8([
              {
                GATE: () => !this.startsLine(this.LA(1)),
                ALT: () => {
                  const names = this.SUBRULE(this.scopeNames);
                  this.ACTION(() => {
                    trigger.for = names.map((n) => n.image);
                    this.record([...path, "for"], this.span(head, names[names.length - 1]));
                    names.forEach((n, i) => this.record([...path, "for", i], this.span(n)));
                  });
                },
              },
              {
                ALT: () =>
                  this.ACTION(() => this.literalProblems.push({ code: "TL1002", span: this.span(head), message: "`for` names the tiers or segments the trigger is for, on the same line, as in `for tech_touch, low_touch`" })),
              },
            ]);
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.when);
            const expr = this.memoized(() => this.SUBRULE(this.expression));
            this.ACTION(() => this.setExpr(trigger, "when", path, expr));
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.goal);
            const expr = this.memoized(() => this.SUBRULE2(this.expression));
            this.ACTION(() => this.setExpr(trigger, "goal", path, expr));
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.fire);
            const mode = this.OR2([{ ALT: () => this.CONSUME(K.on_enter_catch_up) }, { ALT: () => this.CONSUME(K.on_enter) }, { ALT: () => this.CONSUME(K.while_true) }]);
            this.ACTION(() => this.put(trigger, path, "fire", mode.image, this.span(mode)));
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.cooldown);
            const duration = this.CONSUME(t.DurationLiteral);
            this.ACTION(() => this.put(trigger, path, "cooldown", duration.image, this.span(duration)));
          },
        },
        {
          ALT: () => {
            const head = this.CONSUME(K.limit);
            this.OR3([
              {
                ALT: () => {
                  const once = this.CONSUME(K.once);
                  this.ACTION(() => (trigger.limit = once.image));
                },
              },
              {
                ALT: () => {
                  const once = this.CONSUME(K.once_per_renewal);
                  let field: IToken | undefined;
                  this.OPTION4(() => {
                    this.CONSUME2(t.LParen);
                    field = this.CONSUME4(t.Identifier);
                    this.CONSUME2(t.RParen);
                  });
                  this.ACTION(() => (trigger.limit = field ? `${once.image}(${field.image})` : once.image));
                },
              },
              {
                ALT: () => {
                  const max = this.CONSUME(t.NumberLiteral);
                  this.CONSUME(K.per);
                  const per = this.CONSUME2(t.DurationLiteral);
                  this.ACTION(() => (trigger.limit = { max: Number(max.image.replace(/_/g, "")), per: per.image }));
                },
              },
            ]);
            this.ACTION(() => this.record([...path, "limit"], { start: this.span(head).start, end: this.span(this.LA(0)).end }));
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.holdout);
            const value = this.CONSUME(t.PercentLiteral);
            this.ACTION(() => this.put(trigger, path, "holdout", value.image, this.span(value)));
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.enroll);
            const which = this.OR4([{ ALT: () => this.CONSUME(K.existing) }, { ALT: () => this.CONSUME(K.new) }]);
            this.ACTION(() => this.put(trigger, path, "enroll_existing", which.image === "existing", this.span(which)));
          },
        },
        {
          ALT: () => {
            const head = this.CONSUME(K.step);
            const step: Obj = { actions: [] };
            let stepPath: ModelPath = [];
            this.ACTION(() => {
              const steps = ((trigger.steps as Obj[] | undefined) ??= []);
              stepPath = [...path, "steps", steps.length];
              steps.push(step);
              this.record(stepPath, this.span(head), this.span(head));
              this.record([...stepPath, "actions"], this.span(head));
            });
            this.OPTION(() => {
              this.CONSUME(K.wait);
              const wait = this.CONSUME3(t.DurationLiteral);
              this.ACTION(() => this.put(step, stepPath, "wait", wait.image, this.span(wait)));
            });
            this.CONSUME(t.LBrace);
            this.MANY(() => this.SUBRULE(this.action, { ARGS: [step.actions as Obj[], stepPath] }));
            this.CONSUME(t.RBrace);
          },
        },
        {
          ALT: () => {
            let actions: Obj[] = [];
            this.ACTION(() => {
              actions = (trigger.actions as Obj[] | undefined) ?? [];
              if (!trigger.actions) {
                trigger.actions = actions;
                this.record([...path, "actions"], this.span(this.LA(1)));
              }
            });
            this.SUBRULE2(this.action, { ARGS: [actions, path] });
          },
        },
      ],
    });
  });

  private readonly action = this.RULE("action", (actions: Obj[], ownerPath: ModelPath) => {
    const action: Obj = {};
    let path: ModelPath = [];
    const start = this.LA(1);
    this.ACTION(() => {
      path = [...ownerPath, "actions", actions.length];
      actions.push(action);
    });
    this.OR([
      {
        ALT: () => {
          this.CONSUME(K.email);
          const template = this.CONSUME(t.StringLiteral);
          this.ACTION(() => this.put(action, path, "email", this.stringValue(template), this.span(template)));
          this.OPTION(() => this.SUBRULE(this.actionPriority, { ARGS: [action, path] }));
          this.CONSUME(K.to);
          const to = this.memoized(() => this.SUBRULE(this.expression));
          this.ACTION(() => this.setExpr(action, "to", path, to));
        },
      },
      {
        ALT: () => {
          this.CONSUME(K.task);
          const title = this.CONSUME2(t.StringLiteral);
          this.ACTION(() => this.put(action, path, "task", this.stringValue(title), this.span(title)));
          this.OPTION2(() => {
            this.CONSUME(K.due);
            const due = this.CONSUME(t.DurationLiteral);
            this.ACTION(() => this.put(action, path, "due", due.image, this.span(due)));
          });
          this.OPTION3(() => this.SUBRULE2(this.actionPriority, { ARGS: [action, path] }));
          this.OPTION4(() => {
            this.CONSUME(K.owner);
            const owner = this.memoized(() => this.SUBRULE2(this.expression));
            this.ACTION(() => this.setExpr(action, "owner", path, owner));
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(K.offer);
          const offer = this.CONSUME3(t.StringLiteral);
          this.ACTION(() => this.put(action, path, "offer", this.stringValue(offer), this.span(offer)));
          this.OPTION5(() => {
            this.CONSUME(K.discount);
            const discount = this.CONSUME(t.PercentLiteral);
            this.ACTION(() => this.put(action, path, "discount", discount.image, this.span(discount)));
          });
          this.OPTION6(() => {
            this.CONSUME(K.expires);
            const expires = this.CONSUME2(t.DurationLiteral);
            this.ACTION(() => this.put(action, path, "expires", expires.image, this.span(expires)));
          });
          this.OPTION7(() => this.SUBRULE3(this.actionPriority, { ARGS: [action, path] }));
        },
      },
      {
        ALT: () => {
          this.CONSUME(K.webhook);
          const url = this.CONSUME4(t.StringLiteral);
          this.ACTION(() => this.put(action, path, "webhook", this.stringValue(url), this.span(url)));
          this.OPTION8(() => this.SUBRULE4(this.actionPriority, { ARGS: [action, path] }));
        },
      },
    ]);
    this.ACTION(() => this.record(path, { start: this.span(start).start, end: this.span(this.LA(0)).end }, this.span(start)));
  });

  private readonly actionPriority = this.RULE("actionPriority", (action: Obj, path: ModelPath) => {
    this.CONSUME(K.priority);
    const value = this.SUBRULE(this.integer);
    this.ACTION(() => this.put(action, path, "priority", value.value, value.span));
  });

  // policies { cap email 2 per 7d  quiet_hours "20:00" to "08:00"  business_days_only  suppress when x  grace 30d ... }
  private readonly policiesBlock = this.RULE("policiesBlock", () => {
    const head = this.CONSUME(K.policies);
    const policies: Obj = {};
    this.ACTION(() => {
      if (this.model.policies !== undefined) this.duplicates.push({ path: ["policies"], span: this.span(head), kind: "section", name: "policies" });
      else {
        this.model.policies = policies;
        this.record(["policies"], this.span(head), this.span(head));
      }
    });
    this.CONSUME(t.LBrace);
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            const capHead = this.CONSUME(K.cap);
            const channel = this.CONSUME(t.Identifier);
            const max = this.CONSUME(t.NumberLiteral);
            this.CONSUME(K.per);
            const per = this.CONSUME(t.DurationLiteral);
            this.ACTION(() => {
              const caps = ((policies.frequency_caps as Obj[] | undefined) ??= []);
              const capPath = ["policies", "frequency_caps", caps.length];
              caps.push({ channel: channel.image, max: Number(max.image.replace(/_/g, "")), per: per.image });
              this.record(capPath, this.span(capHead, per), this.span(capHead));
              this.record([...capPath, "channel"], this.span(channel));
              this.record([...capPath, "max"], this.span(max));
              this.record([...capPath, "per"], this.span(per));
            });
          },
        },
        {
          ALT: () => {
            const qh = this.CONSUME(K.quiet_hours);
            const from = this.CONSUME(t.StringLiteral);
            this.CONSUME(K.to);
            const to = this.CONSUME2(t.StringLiteral);
            this.ACTION(() => {
              policies.quiet_hours = { from: this.stringValue(from), to: this.stringValue(to) };
              this.record(["policies", "quiet_hours"], this.span(qh, to), this.span(qh));
              this.record(["policies", "quiet_hours", "from"], this.span(from));
              this.record(["policies", "quiet_hours", "to"], this.span(to));
            });
          },
        },
        {
          ALT: () => {
            const token = this.CONSUME(K.business_days_only);
            this.ACTION(() => this.put(policies, ["policies"], "business_days_only", true, this.span(token)));
          },
        },
        {
          ALT: () => {
            const head = this.CONSUME(K.task_capacity);
            const max = this.CONSUME2(t.NumberLiteral);
            this.ACTION(() => this.put(policies, ["policies"], "task_capacity", Number(max.image.replace(/_/g, "")), this.span(head, max)));
          },
        },
        {
          ALT: () => {
            const head = this.CONSUME(K.suppress);
            const kinds: IToken[] = [];
            this.MANY_SEP({
              SEP: t.Comma,
              DEF: () => kinds.push(this.OR7([{ ALT: () => this.CONSUME(K.email) }, { ALT: () => this.CONSUME(K.task) }, { ALT: () => this.CONSUME(K.offer) }, { ALT: () => this.CONSUME(K.webhook) }])),
            });
            this.CONSUME(K.when);
            const expr = this.memoized(() => this.SUBRULE(this.expression));
            this.ACTION(() => {
              this.setExpr(policies, "suppress_when", ["policies"], expr);
              if (kinds.length > 0) this.put(policies, ["policies"], "suppress_actions", kinds.map((k) => k.image), { start: this.span(head).start, end: this.span(kinds[kinds.length - 1]!).end });
            });
          },
        },
        {
          ALT: () => {
            const grace = this.CONSUME(K.grace);
            const duration = this.CONSUME2(t.DurationLiteral);
            const spec: Obj = {};
            this.ACTION(() => {
              spec.for = duration.image;
              policies.grace_period = spec;
              this.record(["policies", "grace_period"], this.span(grace, duration), this.span(grace));
              this.record(["policies", "grace_period", "for"], this.span(duration));
            });
            this.MANY2(() => {
              this.OR3([
                {
                  ALT: () => {
                    this.CONSUME(K.since);
                    const since = this.memoized(() => this.SUBRULE2(this.expression));
                    this.ACTION(() => this.setExpr(spec, "since", ["policies", "grace_period"], since));
                  },
                },
                {
                  ALT: () => {
                    const noRed = this.CONSUME(K.no_red);
                    this.ACTION(() => this.put(spec, ["policies", "grace_period"], "no_red", true, this.span(noRed)));
                  },
                },
                {
                  ALT: () => {
                    this.CONSUME(K.health);
                    const model = this.CONSUME2(t.Identifier);
                    this.ACTION(() => this.put(spec, ["policies", "grace_period"], "health_model", model.image, this.span(model)));
                  },
                },
              ]);
            });
          },
        },
      ]);
    });
    this.CONSUME(t.RBrace);
  });

  // overrides { allow tier, health.status, health.sentiment  max 90d }
  private readonly overridesBlock = this.RULE("overridesBlock", () => {
    const head = this.CONSUME(K.overrides);
    const overrides: Obj = { allow: [] };
    this.ACTION(() => {
      if (this.model.overrides !== undefined) this.duplicates.push({ path: ["overrides"], span: this.span(head), kind: "section", name: "overrides" });
      else {
        this.model.overrides = overrides;
        this.record(["overrides"], this.span(head), this.span(head));
      }
    });
    this.CONSUME(t.LBrace);
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            const allow = this.CONSUME(K.allow);
            this.AT_LEAST_ONE_SEP({
              SEP: t.Comma,
              DEF: () => {
                const target = this.memoized(() => this.SUBRULE(this.expression));
                this.ACTION(() => {
                  const list = overrides.allow as string[];
                  this.record(["overrides", "allow", list.length], target.span);
                  list.push(this.exprText(target));
                });
              },
            });
            this.ACTION(() => this.record(["overrides", "allow"], this.span(allow)));
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.max);
            const duration = this.CONSUME(t.DurationLiteral);
            this.ACTION(() => this.put(overrides, ["overrides"], "max_duration", duration.image, this.span(duration)));
          },
        },
      ]);
    });
    this.CONSUME(t.RBrace);
  });
}

interface FieldDecl {
  nameToken: IToken;
  value: unknown;
  span: Span;
  typeSpan: Span;
  defaultSpan: Span | undefined;
}

/** The value of a literal default (`"UTC"`, `0`, `-1`, `true`), or undefined for anything else. */
function literalValue(expr: Expr): string | number | boolean | null | undefined {
  switch (expr.kind) {
    case "string":
    case "number":
    case "bool":
      return expr.value;
    case "percent":
    case "date":
    case "datetime":
    case "duration":
      return expr.text;
    case "null":
      return null;
    case "unary":
      return expr.op === "-" && expr.operand.kind === "number" ? -expr.operand.value : undefined;
    default:
      return undefined;
  }
}

let sharedParser: PlaybookParser | undefined;

/**
 * A word that starts no section but opens a block among the playbook's
 * sections (a misspelt `triger upsell_ready {`): one diagnostic. A word
 * close to a section's keyword is read as that keyword, so what the block
 * defines is defined; any other such block is left out before parsing.
 * Left as it is, the parser would read the block's insides as sections
 * (`health.score` as a health block) and report each.
 */
function withoutUnknownSections(tokens: IToken[], text: string, problems: SyntaxProblem[]): IToken[] {
  // Copied only from the first change on: most texts have nothing to change, and this runs on every keystroke.
  let kept: IToken[] | undefined;
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (depth === 1 && token.tokenType === t.Identifier && startsLine(text, token)) {
      let open = i + 1;
      while (open < tokens.length && tokens[open]!.tokenType !== t.LBrace && tokens[open]!.tokenType !== t.RBrace && !startsLine(text, tokens[open]!)) open++;
      if (tokens[open]?.tokenType === t.LBrace && !startsLine(text, tokens[open]!)) {
        const meant = closestName(token.image, SECTION_KEYWORDS);
        problems.push({
          code: "TL1002",
          span: { start: token.startOffset, end: token.endOffset! + 1 },
          message: meant ? `\`${token.image}\` is not a keyword here; did you mean \`${meant}\`?` : `\`${token.image}\` starts no section; a section starts with ${SECTION_KEYWORDS.map((k) => `\`${k}\``).join(", ")}`,
          ...(meant ? { replacement: meant } : {}),
        });
        if (meant) {
          // Read as the section meant: its fields, metrics or triggers are then defined, not reported at every use.
          const keyword = K[meant as keyof typeof K];
          kept ??= tokens.slice(0, i);
          kept.push({ ...token, tokenType: keyword, tokenTypeIdx: keyword.tokenTypeIdx! });
          continue;
        }
        kept ??= tokens.slice(0, i);
        let inner = 0;
        for (i = open; i < tokens.length; i++) {
          if (tokens[i]!.tokenType === t.LBrace) inner++;
          if (tokens[i]!.tokenType === t.RBrace && --inner === 0) break;
        }
        continue;
      }
    }
    if (token.tokenType === t.LBrace) depth++;
    if (token.tokenType === t.RBrace) depth--;
    kept?.push(token);
  }
  return kept ?? tokens;
}

/** Forgets every text lexed and expression parsed before (the checker's too): a first read, for benchmarks and for tests that compare with one. */
export function forgetParsedExpressions(): void {
  expressionMemo.clear();
  relexer.forget();
  forgetParsedTexts();
}

/** Parses a `.play` text. Never throws: problems come back with spans. */
/**
 * A text left open on a line makes the next quote close it, and what was
 * meant as text after that is read as code: characters that are not code
 * (`@` in an address) on a line whose quotes do not pair up are the open
 * quote's consequence, said by its one error.
 */
function withoutQuoteFollowOns(lexing: SyntaxProblem[], unterminated: readonly SyntaxProblem[], text: string): SyntaxProblem[] {
  if (unterminated.length === 0) return lexing;
  const lineOf = (offset: number) => text.lastIndexOf("\n", offset - 1);
  const open = new Set(unterminated.map((p) => lineOf(p.span.start)));
  return lexing.filter((p) => !open.has(lineOf(p.span.start)));
}

/**
 * Lexes a .play text; typographic double quotes (“ ”, pasted from a
 * document) outside texts and comments are read as the straight quotes
 * meant, each with one error and a quick fix, instead of a cascade of
 * "unexpected character" errors. The text is the same length either way.
 */
function lexWithStraightQuotes(written: string): { text: string; lexed: ILexingResult; problems: SyntaxProblem[] } {
  const lexed = relexer.tokenize(written);
  const problems: SyntaxProblem[] = [];
  const offsets: number[] = [];
  for (const error of lexed.errors) {
    for (let i = error.offset; i < error.offset + error.length; i++) {
      const c = written[i];
      if (c !== "\u201c" && c !== "\u201d") continue;
      offsets.push(i);
    }
  }
  if (offsets.length === 0) return { text: written, lexed, problems };
  // A pair on one line is one mistake: one error over the quoted text, fixed whole.
  for (let k = 0; k < offsets.length; k++) {
    const open = offsets[k]!;
    const close = offsets[k + 1];
    const paired = written[open] === "\u201c" && close !== undefined && written[close] === "\u201d" && !written.slice(open, close).includes("\n");
    const end = paired ? close + 1 : open + 1;
    problems.push({ code: "TL1002", span: { start: open, end }, message: `typographic quotes (“ ”) are not read as quotes: write straight ones "`, replacement: paired ? `"${written.slice(open + 1, close)}"` : '"' });
    if (paired) k++;
  }
  const at = new Set(offsets);
  const text = written.replace(/[\u201c\u201d]/g, (c: string, i: number) => (at.has(i) ? '"' : c));
  return { text, lexed: dslLexer.tokenize(text), problems };
}

/** Lexes a .play text with its typographic quotes and detached percent signs (`50 %`) read as meant, each with one error. */
function lexRepaired(written: string): { text: string; lexed: ILexingResult; problems: SyntaxProblem[] } {
  const quoted = lexWithStraightQuotes(written);
  const percents = joinDetachedPercents(quoted.text, quoted.lexed.errors, 0);
  if (!percents) return quoted;
  return { text: percents.text, lexed: dslLexer.tokenize(percents.text), problems: [...quoted.problems, ...percents.problems] };
}

export function parseDsl(written: string): DslParseResult {
  sharedParser ??= new PlaybookParser();
  const { text, lexed, problems } = lexRepaired(written);
  const unterminated = unterminatedStringProblems(lexed.tokens, 0).map((problem) => {
    // A text earlier on the line may be the one left open: its closing quote is then the one that opens this text.
    const lineStart = text.lastIndexOf("\n", problem.span.start - 1) + 1;
    const earlier = lexed.tokens.some((token) => token.tokenType === t.StringLiteral && token.startOffset >= lineStart && token.startOffset < problem.span.start);
    return earlier ? { ...problem, message: `${problem.message}, or the text before it on this line is (then its closing quote is the one meant to open this text)` } : problem;
  });
  problems.push(...withoutQuoteFollowOns(lexingProblems(lexed.errors, text, 0), unterminated, text), ...unterminated, ...malformedDurationProblems(lexed.tokens, 0));
  const tokens = withoutUnknownSections(closingUnterminated(lexed.tokens), text, problems);
  const comments = (lexed.groups.comments ?? []) as IToken[];
  // Nested or chained beyond what can be walked: said, and the file is not read further.
  const tooDeep = depthProblems(tokens, 0, (token) => KEYWORD_TYPES.has(token.tokenType) || token.tokenType === t.LBrace || token.tokenType === t.RBrace);
  if (tooDeep.length > 0) return { model: undefined, entries: [], problems: [...problems, ...tooDeep], comments: [], broken: [] };
  const model = sharedParser.parseFile(tokens, comments, text);
  const usedDocs = sharedParser.usedDocs;
  problems.push(...sharedParser.literalProblems, ...firstPerLine(parsingProblems(sharedParser.errors.filter((error) => !followsUnterminated(error)), 0, text.length, DSL_KEYWORDS, text), text, 0));
  for (const duplicate of sharedParser.duplicates) {
    const message = duplicate.kind === "setting" ? `\`${duplicate.name}\` is set more than once here; this one is ignored (the first holds)` : `${duplicate.kind} \`${duplicate.name}\` is defined more than once; this one is ignored`;
    problems.push({ code: "TL2001", span: duplicate.span, message });
  }
  // A bad duration inside an expression is found twice (by the lexer and as a literal): said once.
  const said = new Set<string>();
  const unique = problems.filter((p) => {
    const key = `${p.code}|${p.span.start}|${p.span.end}`;
    return !said.has(key) && said.add(key) !== undefined;
  });
  return {
    model,
    entries: sharedParser.takeEntries(),
    problems: unique,
    comments: comments.filter((c) => c.tokenType !== t.DocComment || !usedDocs.has(c)).map((c) => ({ text: c.image, span: { start: c.startOffset, end: c.endOffset! + 1 } })),
    broken: sharedParser.broken,
  };
}

export type { TokenType };
