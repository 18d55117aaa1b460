import type { TokenType } from "chevrotain";
import { createToken } from "../../expression/chevrotain.js";
import { Identifier, tokenVocabulary } from "../../expression/tokens.js";

/**
 * Keywords of the playbook DSL. They are soft: each is also an Identifier,
 * so a data-contract field may still be called `status` or `owner`, and an
 * expression may name it.
 */
const SOFT_KEYWORDS = [
  "playbook", "extends", "version", "description", "seed", "account", "events", "metric", "segment",
  "health", "when", "priority", "missing", "skip", "zero", "cap", "status", "trend", "tiers", "hysteresis",
  "otherwise", "onboarding", "from", "due_soon", "due", "within", "after", "done", "template", "subject", "body", "file", "text", "category", "transactional",
  "offer", "product", "discount", "expires", "trigger", "for", "fire", "on_enter_catch_up", "on_enter", "while_true", "cooldown",
  "limit", "once_per_renewal", "once", "per", "holdout", "enroll", "existing", "new", "goal", "email", "to",
  "task", "owner", "webhook", "step", "wait", "policies", "quiet_hours", "business_days_only", "task_capacity", "suppress",
  "grace", "since", "no_red", "overrides", "allow", "max", "green", "yellow", "red",
] as const;

export type Keyword = (typeof SOFT_KEYWORDS)[number];

export const KEYWORDS: Record<Keyword, TokenType> = Object.fromEntries(
  SOFT_KEYWORDS.map((word) => [
    word,
    createToken({
      name: `Kw_${word}`,
      label: `\`${word}\``,
      pattern: new RegExp(`${word}(?![A-Za-z0-9_])`),
      longer_alt: Identifier,
      categories: [Identifier],
    }),
  ]),
) as Record<Keyword, TokenType>;

export const DSL_KEYWORDS: readonly string[] = SOFT_KEYWORDS;

export const dslTokens = tokenVocabulary(Object.values(KEYWORDS));
