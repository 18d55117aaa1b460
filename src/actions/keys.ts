import { createHash } from "node:crypto";
import type { ActionDecision } from "../engine/decision.js";
import { isoDateOf } from "../expression/literals.js";

/**
 * The idempotency key of an action: which playbook and trigger decided it,
 * at which step, what it is, for which account and on which day. The same
 * decision made again (the same day run twice, a second process) has the
 * same key, and the ledger keeps one row per key. The wording of a template
 * is not part of it, so editing a template resends nothing.
 */
export function idempotencyKey(playbook: string, account: string, day: number, action: Pick<ActionDecision, "trigger" | "step" | "kind" | "target">): string {
  return [playbook, action.trigger, String(action.step), `${action.kind}:${action.target}`, account, isoDateOf(day)].map(escapePart).join("/");
}

/** `/` and `%` inside a part are escaped, so distinct parts can never make the same key. */
function escapePart(part: string): string {
  return part.replace(/%/g, "%25").replace(/\//g, "%2F");
}

export function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

/** A Message-ID derived from the key: a message sent twice (the one in flight at a crash) is the same message to the receiver. */
export function messageIdOf(key: string, from: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? "touchline.invalid";
  return `<${shortHash(key)}@${domain}>`;
}
