import nodemailer, { type SendMailOptions, type Transporter } from "nodemailer";
import type SMTPPool from "nodemailer/lib/smtp-pool/index.js";
import { messageIdOf } from "../keys.js";
import type { EmailPayload } from "../plan.js";
import type { DeliverySettings } from "../settings.js";
import type { Channel, Outcome } from "./outcome.js";

/**
 * Email over SMTP with nodemailer, one message at a time over one pooled
 * connection: a message is recorded as sent only after the server accepted
 * it, and at most one message is ever in flight. Each message carries the
 * RFC 8058 one-click unsubscribe headers and a Message-ID derived from the
 * action's idempotency key.
 */
export class EmailChannel implements Channel<EmailPayload> {
  private readonly transport: Transporter;

  constructor(
    private readonly settings: DeliverySettings,
    timeoutMs: number,
  ) {
    this.transport = nodemailer.createTransport(smtpTransportOptions(settings, timeoutMs));
  }

  async deliver(payload: EmailPayload, key: string): Promise<Outcome> {
    const options = mailOptions(payload, key, this.settings.from!);
    try {
      await this.transport.sendMail(options);
      return { ok: true, messageId: options.messageId! };
    } catch (error) {
      return classify(error as Error & { responseCode?: number; code?: string; response?: string });
    }
  }

  close(): void {
    this.transport.close();
  }
}

/** The message nodemailer sends for an email action: its parts, the RFC 8058 headers, and a Message-ID from the action's key. */
export function mailOptions(payload: EmailPayload, key: string, from: string): SendMailOptions {
  const messageId = messageIdOf(key, from);
  return {
    from,
    to: payload.to,
    subject: payload.subject,
    text: payload.text,
    html: payload.html,
    messageId,
    // The MIME boundaries come from the key too (the hash in the Message-ID): the same action makes the same message, byte for byte.
    baseBoundary: messageId.slice(1, 17),
    headers: {
      "List-Unsubscribe": `<${payload.unsubscribe}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
      // No header carries the action's key: it names the playbook and trigger ("renewal_risk") to the customer. The Message-ID is its hash.
    },
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

/** The whole message as it would go out (an .eml) with `date` in its Date header, built without sending it. */
export async function messageText(payload: EmailPayload, key: string, from: string, date: Date): Promise<string> {
  const info = await nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" }).sendMail({ ...mailOptions(payload, key, from), date });
  return (info.message as Buffer).toString("utf8");
}

/** How Touchline talks to an SMTP server: one pooled connection, timeouts, no file or URL access from message content, no retries of its own. */
export function smtpTransportOptions(settings: DeliverySettings, timeoutMs: number): SMTPPool.Options {
  const smtp = settings.smtp!;
  return {
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? "" } } : {}),
    pool: true,
    maxConnections: 1,
    maxMessages: Infinity,
    // Retries are the ledger's to decide and count; the pool must not resend on its own.
    maxRequeues: 0,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // Loopback servers (a local relay, tests) rarely offer TLS; anything else is asked for it.
    ignoreTLS: smtp.host === "127.0.0.1" || smtp.host === "localhost" || smtp.host === "::1",
    disableFileAccess: true,
    disableUrlAccess: true,
  } as SMTPPool.Options;
}

/** nodemailer's codes for a server that cannot be reached or a connection that broke. */
const CONNECTION_ERRORS = new Set(["ECONNECTION", "ETIMEDOUT", "ESOCKET", "EDNS", "ECONNREFUSED", "ECONNRESET", "EPIPE", "ETLS", "EPROTOCOL", "EMAXLIMIT", "ECLOSE"]);

function classify(error: Error & { responseCode?: number; code?: string; response?: string }): Outcome {
  const code = error.responseCode;
  const said = (error.response ?? error.message).split("\n")[0]!.slice(0, 300);
  // A refused login is not this message's fault: the rest wait too, and the message is tried again later.
  if (error.code === "EAUTH") return { ok: false, error: `the SMTP server refused the login (${said}): check the SMTP user and password`, transient: true, unreachable: true };
  if (code !== undefined && code >= 500) return { ok: false, error: `the SMTP server refused it (${said})`, transient: false };
  if (code !== undefined && code >= 400) return { ok: false, error: `the SMTP server deferred it (${said})`, transient: true };
  if (error.code !== undefined && CONNECTION_ERRORS.has(error.code)) {
    return { ok: false, error: `the SMTP server could not be reached or dropped the connection (${error.code}: ${said})`, transient: true, unreachable: true };
  }
  // Anything else is about this message (an envelope nodemailer refuses, a message it cannot build): it, not the server, failed.
  return { ok: false, error: `the message could not be sent (${error.code ?? "error"}: ${said})`, transient: false };
}
