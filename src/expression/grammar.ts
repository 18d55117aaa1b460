import type { IToken, TokenType } from "chevrotain";
import { EmbeddedActionsParser, EOF } from "./chevrotain.js";
import type { DiagnosticCode } from "../text/diagnostic.js";
import { coverSpans, type Span } from "../text/source.js";
import type { BinaryOperator, Expr } from "./ast.js";
import { durationOf, epochDayOf, epochMsOf, numberOf, unquote } from "./literals.js";
import { friendlyErrorMessages } from "./parse-errors.js";
import * as t from "./tokens.js";

const EXPRESSION_RULES = new Set([
  "expression", "orExpression", "andExpression", "notExpression", "comparison", "rangeExpression", "coalesceExpression",
  "additive", "multiplicative", "unary", "primary", "list", "referenceOrCall", "bandsTable", "literal",
]);

/** A problem found while building literals (an impossible date, `1__0`). */
export interface LiteralProblem {
  code: DiagnosticCode;
  span: Span;
  message: string;
  /** the text meant instead of the span's: offered as a quick fix */
  replacement?: string;
}

/**
 * The expression grammar, written once. The standalone expression parser and
 * the playbook DSL parser both extend this class, so an expression in a YAML
 * string and one in a `.play` file are read by the very same rules.
 */
export abstract class ExpressionGrammar extends EmbeddedActionsParser {
  /** Added to every span, for expressions lexed out of a larger file. */
  protected baseOffset = 0;
  literalProblems: LiteralProblem[] = [];

  constructor(tokens: TokenType[]) {
    // The grammar is checked for ambiguities when the tests run; a user's process skips that (a third of its start-up).
    super(tokens, { recoveryEnabled: true, maxLookahead: 3, errorMessageProvider: friendlyErrorMessages, skipValidations: process.env.VITEST === undefined });
  }

  protected span(first: IToken, last: IToken = first): Span {
    const start = validOffset(first.startOffset) ?? validOffset(last.startOffset) ?? 0;
    const end = validOffset(last.endOffset) ?? validOffset(first.endOffset) ?? start - 1;
    return { start: this.baseOffset + start, end: this.baseOffset + Math.max(start, end + 1) };
  }

  /**
   * Whether a name token may start an operand. The DSL refuses a keyword
   * that begins a line, so `when a >` followed by `cooldown 7d` on the next
   * line reports the missing operand instead of swallowing the statement.
   */
  protected canStartOperand(_token: IToken): boolean {
    return true;
  }

  /** After a soft `where`, anything but the end of the argument list or a member access starts the filter. */
  private startsFilterCondition(token: IToken): boolean {
    return token.tokenType !== t.Comma && token.tokenType !== t.RParen && token.tokenType !== t.Dot && token.tokenType !== EOF && this.canStartOperand(token);
  }

  /**
   * Every rule that yields an expression yields an error node when it has
   * to give up, so code building the tree never meets a missing operand.
   */
  override RULE<F extends (...args: any[]) => any>(name: string, implementation: F, config: Parameters<EmbeddedActionsParser["RULE"]>[2] = {}): ReturnType<EmbeddedActionsParser["RULE"]> & F {
    const fallback = this.recoveryValue(name);
    const recovering = fallback ? { recoveryValueFunc: fallback, ...config } : config;
    return super.RULE(name, implementation, recovering) as ReturnType<EmbeddedActionsParser["RULE"]> & F;
  }

  /** What a rule yields when it gives up; subclasses add their own rules. */
  protected recoveryValue(ruleName: string): (() => unknown) | undefined {
    return EXPRESSION_RULES.has(ruleName) ? () => this.errorNode() : undefined;
  }

  protected errorNode(): Expr {
    const token = this.LA(0);
    return { kind: "error", span: this.span(token) };
  }

  readonly expression = this.RULE("expression", (): Expr => this.SUBRULE(this.orExpression));

  /** `first` and `rest` call the same subrule twice; Chevrotain needs two call sites (SUBRULE, SUBRULE2). */
  private binaryChain(first: () => Expr, rest: () => Expr, operators: () => IToken | undefined): Expr {
    let left = first();
    this.MANY(() => {
      const op = operators()!;
      const right = rest();
      left = this.ACTION(() => binary(op.image as BinaryOperator, left, right));
    });
    return left;
  }

  private readonly orExpression = this.RULE("orExpression", (): Expr =>
    this.binaryChain(
      () => this.SUBRULE(this.andExpression),
      () => this.SUBRULE2(this.andExpression),
      () => this.OR([{ ALT: () => this.CONSUME(t.Or) }, { ALT: () => this.insteadOf(this.CONSUME(t.PipePipe), "or") }]),
    ),
  );

  private readonly andExpression = this.RULE("andExpression", (): Expr =>
    this.binaryChain(
      () => this.SUBRULE(this.notExpression),
      () => this.SUBRULE2(this.notExpression),
      () => this.OR([{ ALT: () => this.CONSUME(t.And) }, { ALT: () => this.insteadOf(this.CONSUME(t.AmpAmp), "and") }]),
    ),
  );

  /**
   * An operator from another language (`&&`, `||`, `=`, `=>`, `<>`): read as the one
   * meant, so the rest parses as written, with one error that says what to
   * write. Returns a token standing for the operator meant.
   */
  private insteadOf(token: IToken, meant: string): IToken {
    this.ACTION(() => this.literalProblems.push({ code: "TL1002", span: this.span(token), message: `\`${token.image}\` is not an operator in playbooks: write \`${meant}\`${meant === "==" ? " to compare (a single = names a metric or segment)" : ""}`, replacement: meant }));
    return { ...token, image: meant };
  }

  private readonly notExpression = this.RULE("notExpression", (): Expr =>
    this.OR([
      {
        ALT: () => {
          const not = this.CONSUME(t.Not);
          const operand = this.SUBRULE(this.notExpression);
          return this.ACTION(() => ({ kind: "unary", op: "not", operand, span: coverSpans(this.span(not), operand.span) }) as Expr);
        },
      },
      { ALT: () => this.SUBRULE(this.comparison) },
    ]),
  );

  private readonly comparison = this.RULE("comparison", (): Expr => {
    const left = this.SUBRULE(this.rangeExpression);
    let result = left;
    this.OPTION(() => {
      this.OR([
        {
          ALT: () => {
            const op = this.OR2([
              { ALT: () => this.CONSUME(t.EqualEqual) },
              { ALT: () => this.CONSUME(t.NotEqual) },
              { ALT: () => this.CONSUME(t.LessEqual) },
              { ALT: () => this.CONSUME(t.GreaterEqual) },
              { ALT: () => this.CONSUME(t.Less) },
              { ALT: () => this.CONSUME(t.Greater) },
              { ALT: () => this.insteadOf(this.CONSUME(t.Equals), "==") },
              { ALT: () => this.insteadOf(this.CONSUME(t.ArrowGreaterEqual), ">=") },
              { ALT: () => this.insteadOf(this.CONSUME(t.ArrowLessEqual), "<=") },
              { ALT: () => this.insteadOf(this.CONSUME(t.LessGreater), "!=") },
            ]);
            const right = this.SUBRULE2(this.rangeExpression);
            result = this.ACTION(() => binary(op.image as BinaryOperator, left, right));
          },
        },
        {
          ALT: () => {
            const not = this.OPTION2(() => this.CONSUME2(t.Not));
            this.CONSUME(t.In);
            const set = this.SUBRULE3(this.rangeExpression);
            result = this.ACTION(() => ({ kind: "in", negated: not !== undefined, value: left, set, span: coverSpans(left.span, set.span) }) as Expr);
          },
        },
      ]);
    });
    return result;
  });

  private readonly rangeExpression = this.RULE("rangeExpression", (): Expr => {
    const low = this.SUBRULE(this.coalesceExpression);
    let result = low;
    this.OPTION(() => {
      this.CONSUME(t.DotDot);
      const high = this.SUBRULE2(this.coalesceExpression);
      result = this.ACTION(() => ({ kind: "range", low, high, span: coverSpans(low.span, high.span) }) as Expr);
    });
    return result;
  });

  private readonly coalesceExpression = this.RULE("coalesceExpression", (): Expr =>
    this.binaryChain(
      () => this.SUBRULE(this.additive),
      () => this.SUBRULE2(this.additive),
      () => this.CONSUME(t.Coalesce),
    ),
  );

  private readonly additive = this.RULE("additive", (): Expr =>
    this.binaryChain(
      () => this.SUBRULE(this.multiplicative),
      () => this.SUBRULE2(this.multiplicative),
      () => this.OR([{ ALT: () => this.CONSUME(t.Plus) }, { ALT: () => this.CONSUME(t.Minus) }]),
    ),
  );

  private readonly multiplicative = this.RULE("multiplicative", (): Expr =>
    this.binaryChain(
      () => this.SUBRULE(this.unary),
      () => this.SUBRULE2(this.unary),
      () => this.OR([{ ALT: () => this.CONSUME(t.Star) }, { ALT: () => this.CONSUME(t.Slash) }]),
    ),
  );

  private readonly unary = this.RULE("unary", (): Expr =>
    this.OR({
      ERR_MSG: "a value, a name or `(`",
      DEF: [
      {
        ALT: () => {
          const minus = this.CONSUME(t.Minus);
          const operand = this.SUBRULE(this.unary);
          return this.ACTION(() => ({ kind: "unary", op: "-", operand, span: coverSpans(this.span(minus), operand.span) }) as Expr);
        },
      },
      { ALT: () => this.SUBRULE(this.primary) },
    ]}),
  );

  private readonly primary = this.RULE("primary", (): Expr =>
    this.OR({
      DEF: [
        { ALT: () => this.SUBRULE(this.literal) },
        {
          ALT: () => {
            const open = this.CONSUME(t.LParen);
            const inner = this.SUBRULE(this.expression);
            const close = this.CONSUME(t.RParen);
            // Parentheses leave no node; the span grows so diagnostics cover them.
            return this.ACTION(() => ({ ...inner, span: this.span(open, close) }));
          },
        },
        { ALT: () => this.SUBRULE(this.list) },
        { GATE: () => this.canStartOperand(this.LA(1)), ALT: () => this.SUBRULE(this.referenceOrCall) },
      ],
      ERR_MSG: "a value, a name or `(`",
    }),
  );

  private readonly list = this.RULE("list", (): Expr => {
    const open = this.CONSUME(t.LBracket);
    const items: Expr[] = [];
    this.MANY_SEP({ SEP: t.Comma, DEF: () => items.push(this.SUBRULE(this.expression)) });
    const close = this.CONSUME(t.RBracket);
    return this.ACTION(() => ({ kind: "list", items, span: this.span(open, close) }) as Expr);
  });

  private readonly referenceOrCall = this.RULE("referenceOrCall", (): Expr => {
    const head = this.CONSUME(t.Identifier);
    return this.OR([
      {
        ALT: () => {
          this.CONSUME(t.LParen);
          const args: Expr[] = [];
          let filter: Expr | undefined;
          this.MANY_SEP({
            SEP: t.Comma,
            DEF: () =>
              this.OR2([
                {
                  // `where` is a soft keyword: only a filter when a condition follows it.
                  GATE: () => this.LA(1).tokenType === t.Identifier && this.LA(1).image === "where" && this.startsFilterCondition(this.LA(2)),
                  ALT: () => {
                    this.CONSUME3(t.Identifier);
                    filter = this.SUBRULE2(this.expression);
                  },
                },
                { ALT: () => args.push(this.SUBRULE(this.expression)) },
              ]),
          });
          const close = this.CONSUME(t.RParen);
          const call = this.ACTION(
            () => ({ kind: "call", name: head.image, nameSpan: this.span(head), args, ...(filter ? { filter } : {}), span: this.span(head, close) }) as Expr,
          );
          let result: Expr = call;
          this.OPTION({
            GATE: () => head.image === "bands",
            DEF: () => {
              result = this.SUBRULE(this.bandsTable, { ARGS: [call] });
            },
          });
          return result;
        },
      },
      {
        ALT: () => {
          const path = [head.image];
          const spans = [this.span(head)];
          let last = head;
          this.MANY(() => {
            this.CONSUME(t.Dot);
            last = this.CONSUME2(t.Identifier);
            this.ACTION(() => {
              path.push(last.image);
              spans.push(this.span(last));
            });
          });
          return this.ACTION(() => ({ kind: "ref", path, segmentSpans: spans, span: this.span(head, last) }) as Expr);
        },
      },
    ]);
  });

  private readonly bandsTable = this.RULE("bandsTable", (call: Expr): Expr => {
    this.CONSUME(t.LBrace);
    const cases: { match: Expr; score: Expr }[] = [];
    let otherwise: Expr | undefined;
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(t.Else);
            this.CONSUME(t.Colon);
            otherwise = this.SUBRULE(this.expression);
          },
        },
        {
          ALT: () => {
            const match = this.SUBRULE(this.rangeExpression);
            this.CONSUME2(t.Colon);
            const score = this.SUBRULE2(this.expression);
            this.ACTION(() => cases.push({ match, score }));
          },
        },
      ]);
      this.OPTION(() => this.CONSUME(t.Comma));
    });
    const close = this.CONSUME(t.RBrace);
    return this.ACTION(() => {
      const head = call as Extract<Expr, { kind: "call" }>;
      return {
        kind: "bands",
        value: head.args[0] ?? { kind: "error", span: head.span },
        cases,
        otherwise,
        span: { start: head.span.start, end: this.span(close).end },
      } as Expr;
    });
  });

  private readonly literal = this.RULE("literal", (): Expr =>
    this.OR([
      { ALT: () => this.literalNode(this.CONSUME(t.NumberLiteral)) },
      { ALT: () => this.literalNode(this.CONSUME(t.PercentLiteral)) },
      { ALT: () => this.literalNode(this.CONSUME(t.DurationLiteral)) },
      { ALT: () => this.literalNode(this.CONSUME(t.DateLiteral)) },
      { ALT: () => this.literalNode(this.CONSUME(t.DateTimeLiteral)) },
      { ALT: () => this.literalNode(this.CONSUME(t.StringLiteral)) },
      { ALT: () => this.literalNode(this.CONSUME(t.True)) },
      { ALT: () => this.literalNode(this.CONSUME(t.False)) },
      { ALT: () => this.literalNode(this.CONSUME(t.Null)) },
    ]),
  );

  private literalNode(token: IToken): Expr {
    return this.ACTION(() => buildLiteral(token, this.span(token), this.literalProblems));
  }
}

function validOffset(offset: number | undefined): number | undefined {
  return offset === undefined || Number.isNaN(offset) ? undefined : offset;
}

function binary(op: BinaryOperator, left: Expr, right: Expr): Expr {
  return { kind: "binary", op, left, right, span: coverSpans(left.span, right.span) };
}

/** Turns a literal token into a node, noting impossible values instead of throwing. */
export function buildLiteral(token: IToken, span: Span, problems: LiteralProblem[]): Expr {
  const text = token.image;
  switch (token.tokenType) {
    case t.NumberLiteral: {
      const value = numberOf(text);
      if (value === undefined) problems.push({ code: "TL1005", span, message: `\`${text}\` is not a valid number: use \`_\` only between digits, as in 100_000` });
      return { kind: "number", value: value ?? 0, text, span };
    }
    case t.PercentLiteral: {
      const value = numberOf(text.slice(0, -1));
      if (value === undefined) problems.push({ code: "TL1005", span, message: `\`${text}\` is not a valid percentage` });
      return { kind: "percent", value: (value ?? 0) / 100, text, span };
    }
    case t.DurationLiteral: {
      const duration = durationOf(text);
      if (duration === undefined) problems.push({ code: "TL1007", span, message: `\`${text}\` is not a valid duration: write a whole number followed by d, w, mo or y, as in 14d` });
      return { kind: "duration", days: duration?.days ?? 0, months: duration?.months ?? 0, text, span };
    }
    case t.DateLiteral: {
      const value = epochDayOf(text);
      if (value === undefined) problems.push({ code: "TL1006", span, message: `\`${text}\` is not a real calendar date` });
      return { kind: "date", value: value ?? 0, text, span };
    }
    case t.DateTimeLiteral: {
      const value = epochMsOf(text);
      if (value === undefined) problems.push({ code: "TL1006", span, message: `\`${text}\` is not a real date and time` });
      return { kind: "datetime", value: value ?? 0, text, span };
    }
    case t.StringLiteral:
      return { kind: "string", value: unquote(text), span };
    case t.True:
      return { kind: "bool", value: true, span };
    case t.False:
      return { kind: "bool", value: false, span };
    default:
      return { kind: "null", span };
  }
}
