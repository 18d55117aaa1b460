import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ILexingResult, IToken } from "chevrotain";
import { Lexer } from "../../src/expression/chevrotain.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Relexer } from "../../src/language/dsl/relex.js";
import { dslTokens } from "../../src/language/dsl/tokens.js";

const folders = ["../../playbooks/", "../../examples/saas-b2b/", "../../examples/telco/"].map((f) => fileURLToPath(new URL(f, import.meta.url)));
const samples = folders.flatMap((folder) => readdirSync(folder).filter((f) => f.endsWith(".play")).map((f) => readFileSync(`${folder}${f}`, "utf8")));
const lexer = new Lexer(dslTokens, { positionTracking: "full", ensureOptimizations: false });

/** Everything a token says about where it is and what it is. */
const tokenView = (token: IToken) => [token.tokenType.name, token.image, token.startOffset, token.endOffset, token.startLine, token.endLine, token.startColumn, token.endColumn].join("|");
const view = (result: ILexingResult) => ({
  tokens: result.tokens.map(tokenView),
  comments: (result.groups.comments ?? []).map(tokenView),
  errors: result.errors.map((e) => [e.offset, e.line, e.column, e.length, e.message].join("|")),
});

/** What an author types: characters that start and end tokens, comments, strings and lines. */
// Edits at the very start are drawn often: a text that starts with a line break, edited there, is a case of its own.
const TYPED = ["1", "d", " ", "\n", "\n\n", "and ", "==", "(", ")", '"', "'", "//", "/// doc\n", "#", "@", "}", "{", "x", "metric m = 1\n", "\t", "/*", "*/"];

describe("lexing a .play text again after an edit", () => {
  it("gives exactly the tokens, comments and errors of lexing it whole, lines and columns included", () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(fc.record({ at: fc.oneof(fc.constant(0), fc.nat()), remove: fc.nat({ max: 8 }), insert: fc.array(fc.constantFrom(...TYPED), { maxLength: 4 }).map((p) => p.join("")) }), { minLength: 1, maxLength: 8 }), (sample, edits) => {
        const relexer = new Relexer(lexer);
        let text = samples[sample % samples.length]!;
        relexer.tokenize(text);
        for (const { at, remove, insert } of edits) {
          const place = at % (text.length + 1);
          text = text.slice(0, place) + insert + text.slice(place + remove);
          expect(view(relexer.tokenize(text))).toEqual(view(lexer.tokenize(text)));
        }
      }),
      { numRuns: 200 },
    );
  });
});
