import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type * as Chevrotain from "chevrotain";

/**
 * Chevrotain, loaded from the single-file build its package ships. The
 * package's entry loads lodash-es as hundreds of modules: 0.37 s of every
 * command's start, against 0.07 s for the bundle (same version, same code).
 * Every use of Chevrotain's values goes through here: token types made by
 * one copy of the library are not known to another's lexer.
 */
async function load(): Promise<typeof Chevrotain> {
  try {
    const entry = createRequire(import.meta.url).resolve("chevrotain");
    return (await import(new URL("../chevrotain.min.mjs", pathToFileURL(entry)).href)) as typeof Chevrotain;
  } catch {
    // A later Chevrotain may lay its files out otherwise: its entry works, only slower.
    return await import("chevrotain");
  }
}

const chevrotain = await load();

export const { createToken, EmbeddedActionsParser, EOF, Lexer, tokenMatcher } = chevrotain;
export type Lexer = Chevrotain.Lexer;
export type EmbeddedActionsParser = Chevrotain.EmbeddedActionsParser;
