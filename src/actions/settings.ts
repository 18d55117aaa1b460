import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { z } from "zod";
import type { Project } from "../run/project.js";

/**
 * What delivery needs that must not be in a playbook or in version control:
 * the SMTP server and its password, the secrets that sign unsubscribe links
 * and webhooks. Read from the environment first, then from the settings file
 * `touchline.yaml` names; never printed, logged or written to the ledger.
 */
export interface DeliverySettings {
  smtp: { host: string; port: number; secure: boolean; user: string | undefined; password: string | undefined } | undefined;
  from: string | undefined;
  unsubscribeSecret: string | undefined;
  unsubscribeUrl: string | undefined;
  webhookSecret: string | undefined;
  /** every secret's text, to take out of any error message before it is shown or stored */
  secrets: string[];
}

/** Settings missing or malformed: exit 2 before anything is evaluated or sent. */
export class SettingsError extends Error {}

const SettingsFile = z
  .object({
    smtp: z
      .union([
        z.string().url(),
        z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535).optional(), secure: z.boolean().optional(), user: z.string().optional(), password: z.string().optional() }).strict(),
      ])
      .optional(),
    from: z.string().min(1).optional(),
    unsubscribe_secret: z.string().min(16, "at least 16 characters").optional(),
    unsubscribe_url: z.string().url().optional(),
    webhook_secret: z.string().min(16, "at least 16 characters").optional(),
  })
  .strict();

export function loadDeliverySettings(project: Project, env: NodeJS.ProcessEnv = process.env): DeliverySettings {
  let file: z.infer<typeof SettingsFile> = {};
  const path = project.delivery.settingsFile;
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      throw new SettingsError(`${project.configFile}: delivery.settings names ${path}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    }
    let raw: unknown;
    try {
      raw = parse(text);
    } catch {
      // The parser's message quotes the file, and the file holds secrets.
      throw new SettingsError(`${path}: not valid YAML`);
    }
    const parsed = SettingsFile.safeParse(raw ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new SettingsError(`${path}: ${issue.path.join(".") || "the file"}: ${issue.message}`);
    }
    file = parsed.data;
  }
  const smtp = smtpSettings(env, file.smtp, path);
  const unsubscribeSecret = env.TOUCHLINE_UNSUBSCRIBE_SECRET || file.unsubscribe_secret;
  const webhookSecret = env.TOUCHLINE_WEBHOOK_SECRET || file.webhook_secret;
  for (const [name, value] of [["TOUCHLINE_UNSUBSCRIBE_SECRET", unsubscribeSecret], ["TOUCHLINE_WEBHOOK_SECRET", webhookSecret]] as const) {
    if (value !== undefined && value.length < 16) throw new SettingsError(`${name} must be at least 16 characters: it signs links and requests that must not be guessed`);
  }
  return {
    smtp,
    from: env.TOUCHLINE_MAIL_FROM || project.delivery.from || file.from,
    unsubscribeSecret,
    unsubscribeUrl: env.TOUCHLINE_UNSUBSCRIBE_URL || project.delivery.unsubscribeUrl || file.unsubscribe_url,
    webhookSecret,
    secrets: [smtp?.password, unsubscribeSecret, webhookSecret].filter((s): s is string => typeof s === "string" && s.length > 0),
  };
}

function smtpSettings(env: NodeJS.ProcessEnv, file: z.infer<typeof SettingsFile>["smtp"], path: string | undefined): DeliverySettings["smtp"] {
  // The file's settings first, then each one the environment sets over it.
  const url = env.TOUCHLINE_SMTP_URL || (typeof file === "string" ? file : undefined);
  let smtp: DeliverySettings["smtp"];
  if (url) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new SettingsError(`the SMTP URL (${env.TOUCHLINE_SMTP_URL ? "TOUCHLINE_SMTP_URL" : `${path}: smtp`}) is not a URL such as smtp://user:password@mail.example.com:587`);
    }
    if (parsed.protocol !== "smtp:" && parsed.protocol !== "smtps:") throw new SettingsError(`the SMTP URL must start with smtp:// or smtps://, not ${parsed.protocol}//`);
    const secure = parsed.protocol === "smtps:";
    smtp = {
      host: parsed.hostname,
      port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
      secure,
      user: parsed.username ? decodeURIComponent(parsed.username) : undefined,
      password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    };
  } else if (typeof file === "object") {
    smtp = { host: file.host, port: file.port ?? 587, secure: file.secure ?? file.port === 465, user: file.user, password: file.password };
  }
  const host = env.TOUCHLINE_SMTP_HOST || smtp?.host;
  if (!host) return undefined;
  const portText = env.TOUCHLINE_SMTP_PORT;
  const port = portText ? Number(portText) : (smtp?.port ?? 587);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SettingsError(`TOUCHLINE_SMTP_PORT must be a port number, not ${JSON.stringify(portText)}`);
  return { host, port, secure: portText ? port === 465 : (smtp?.secure ?? port === 465), user: env.TOUCHLINE_SMTP_USER || smtp?.user, password: env.TOUCHLINE_SMTP_PASSWORD || smtp?.password };
}

/** A message with every secret taken out: what may be shown, logged or stored. */
export function redact(text: string, settings: Pick<DeliverySettings, "secrets">): string {
  let clean = text;
  for (const secret of settings.secrets) clean = clean.split(secret).join("[secret]");
  for (const secret of settings.secrets) {
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) clean = clean.split(encoded).join("[secret]");
  }
  return clean;
}

/** What a plan's actions need from the settings, said once and plainly, before anything is evaluated. */
export function missingSettings(settings: DeliverySettings, kinds: ReadonlySet<string>, tasksGoToUrl: boolean): string[] {
  const missing: string[] = [];
  if (kinds.has("email")) {
    if (!settings.smtp) missing.push("an SMTP server (TOUCHLINE_SMTP_URL, or smtp in the settings file)");
    if (!settings.from) missing.push("a sender (delivery.from in touchline.yaml, or TOUCHLINE_MAIL_FROM)");
    if (!settings.unsubscribeSecret) missing.push("a secret to sign unsubscribe links (TOUCHLINE_UNSUBSCRIBE_SECRET, or unsubscribe_secret in the settings file)");
    if (!settings.unsubscribeUrl) missing.push("where unsubscribe links point (delivery.unsubscribe_url in touchline.yaml, or TOUCHLINE_UNSUBSCRIBE_URL)");
  }
  if ((kinds.has("webhook") || (kinds.has("task") && tasksGoToUrl)) && !settings.webhookSecret) {
    missing.push("a secret to sign webhooks (TOUCHLINE_WEBHOOK_SECRET, or webhook_secret in the settings file)");
  }
  return missing;
}
