import { createHmac, timingSafeEqual } from "node:crypto";

/** What an unsubscribe link stands for: this address, of this account, no longer wants this category. */
export interface UnsubscribeClaim {
  account: string;
  address: string;
  category: string;
}

/**
 * A token signed per recipient and category with HMAC-SHA256: its payload is
 * readable (base64url JSON) and its signature covers every byte of it, so
 * changing the address, the account or the category makes it invalid.
 */
export function signUnsubscribeToken(claim: UnsubscribeClaim, secret: string): string {
  const payload = Buffer.from(JSON.stringify({ a: claim.account, e: claim.address, c: claim.category })).toString("base64url");
  return `${payload}.${signature(payload, secret)}`;
}

/** The claim of a token, or why it is refused (tampered, malformed). */
export function verifyUnsubscribeToken(token: string, secret: string): UnsubscribeClaim | { refused: string } {
  const match = /^([A-Za-z0-9_-]{1,4096})\.([A-Za-z0-9_-]{43})$/.exec(token.trim());
  if (!match) return { refused: "this is not an unsubscribe token (it should look like xxxx.yyyy, from the link's token=)" };
  const [, payload, given] = match as unknown as [string, string, string];
  const expected = Buffer.from(signature(payload, secret));
  if (expected.length !== given.length || !timingSafeEqual(expected, Buffer.from(given))) return { refused: "the token's signature does not match: it was changed, or signed with another secret" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return { refused: "the token's content cannot be read" };
  }
  const { a, e, c } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof a !== "string" || typeof e !== "string" || typeof c !== "string") return { refused: "the token's content cannot be read" };
  return { account: a, address: e, category: c };
}

function signature(payload: string, secret: string): string {
  return createHmac("sha256", secret).update(`unsubscribe.${payload}`).digest("base64url");
}

/** The link put into an email and its List-Unsubscribe header. */
export function unsubscribeLink(baseUrl: string, token: string): string {
  const url = new URL(baseUrl);
  url.searchParams.set("token", token);
  return url.toString();
}
