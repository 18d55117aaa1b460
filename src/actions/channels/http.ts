import { createHmac } from "node:crypto";
import type { Outcome } from "./outcome.js";

/**
 * POSTs JSON signed with HMAC-SHA256 over `<timestamp>.<body>`, Stripe-style:
 * `Touchline-Signature: t=<unix seconds>,v1=<hex>`; the receiver recomputes
 * it with the shared secret and refuses old timestamps, so a captured request
 * cannot be replayed later. `Idempotency-Key` lets it drop a repeat.
 */
export async function postSigned(url: string, body: unknown, key: string, secret: string, timeoutMs: number, nowMs: number): Promise<Outcome> {
  const text = JSON.stringify(body);
  const timestamp = Math.floor(nowMs / 1000);
  const signature = createHmac("sha256", secret).update(`${timestamp}.${text}`).digest("hex");
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "touchline", "touchline-signature": `t=${timestamp},v1=${signature}`, "idempotency-key": key },
      body: text,
      redirect: "error",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const timedOut = (error as Error).name === "TimeoutError";
    return { ok: false, error: timedOut ? `no answer from ${origin(url)} within ${timeoutMs} ms` : `${origin(url)} could not be reached (${cause ?? (error as Error).message})`, transient: true, unreachable: !timedOut };
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.ok) return { ok: true, note: `HTTP ${response.status}` };
  const transient = response.status === 408 || response.status === 425 || response.status === 429 || response.status >= 500;
  return { ok: false, error: `${origin(url)} answered HTTP ${response.status}`, transient };
}

/** Where a URL points, without its path or query (which may carry a token). */
function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "the URL";
  }
}
