import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadDeliverySettings, redact, SettingsError } from "../../src/actions/settings.js";
import type { Project } from "../../src/run/project.js";

/** Only what the settings read of a project: where its settings file is, its sender and unsubscribe page. */
function projectWith(settingsText?: string, delivery: { from?: string; unsubscribeUrl?: string } = {}): Project {
  let settingsFile: string | undefined;
  if (settingsText !== undefined) {
    settingsFile = join(mkdtempSync(join(tmpdir(), "touchline-settings-")), "delivery.yaml");
    writeFileSync(settingsFile, settingsText);
  }
  return { configFile: "touchline.yaml", delivery: { settingsFile, ...delivery } } as unknown as Project;
}

const load = (env: Record<string, string>, settingsText?: string) => loadDeliverySettings(projectWith(settingsText), env);

describe("delivery settings from the environment and the settings file", () => {
  it("reads each TOUCHLINE_SMTP_* variable on its own, over the settings file", () => {
    const file = "smtp:\n  host: file.example\n  port: 2525\n  user: file-user\n  password: file-password-123\n";
    expect(load({}, file).smtp).toEqual({ host: "file.example", port: 2525, secure: false, user: "file-user", password: "file-password-123" });
    expect(load({ TOUCHLINE_SMTP_HOST: "env.example" }, file).smtp).toMatchObject({ host: "env.example", port: 2525, user: "file-user" });
    expect(load({ TOUCHLINE_SMTP_PORT: "465" }, file).smtp).toMatchObject({ host: "file.example", port: 465, secure: true });
    expect(load({ TOUCHLINE_SMTP_USER: "env-user", TOUCHLINE_SMTP_PASSWORD: "env-password-456" }, file).smtp).toMatchObject({ user: "env-user", password: "env-password-456" });
    expect(load({ TOUCHLINE_SMTP_HOST: "only-env.example" }).smtp).toEqual({ host: "only-env.example", port: 587, secure: false, user: undefined, password: undefined });
  });

  it("reads smtp:// and smtps:// URLs: the port, TLS from the first byte for smtps, and a user and password with escaped characters", () => {
    expect(load({ TOUCHLINE_SMTP_URL: "smtps://mailer:p%40ss%2Fword@mail.example" }).smtp).toEqual({ host: "mail.example", port: 465, secure: true, user: "mailer", password: "p@ss/word" });
    expect(load({ TOUCHLINE_SMTP_URL: "smtp://mail.example:2525" }).smtp).toEqual({ host: "mail.example", port: 2525, secure: false, user: undefined, password: undefined });
    expect(load({ TOUCHLINE_SMTP_URL: "smtp://mail.example" }).smtp!.port).toBe(587);
    // The environment's URL wins over the file's.
    expect(load({ TOUCHLINE_SMTP_URL: "smtp://env.example" }, "smtp: smtp://file.example\n").smtp!.host).toBe("env.example");
  });

  it("refuses what it cannot use, naming the setting and never echoing a secret", () => {
    expect(() => load({ TOUCHLINE_SMTP_URL: "http://mail.example" })).toThrow(/must start with smtp:\/\/ or smtps:\/\//);
    expect(() => load({ TOUCHLINE_SMTP_URL: "not a url" })).toThrow(/TOUCHLINE_SMTP_URL\) is not a URL/);
    expect(() => load({ TOUCHLINE_SMTP_HOST: "mail.example", TOUCHLINE_SMTP_PORT: "smtp" })).toThrow(/TOUCHLINE_SMTP_PORT must be a port number/);
    expect(() => load({ TOUCHLINE_UNSUBSCRIBE_SECRET: "short" })).toThrow(/at least 16 characters/);
    expect(() => load({}, "smtp:\n  host: mail.example\n  pasword: hunter2hunter2\n")).toThrow(SettingsError);
    try {
      load({}, "smtp: {host: mail.example, password: 'hunter2-the-secret'\n");
      expect.unreachable();
    } catch (error) {
      expect(String(error)).toMatch(/not valid YAML/);
      expect(String(error)).not.toContain("hunter2");
    }
  });

  it("takes the sender and the unsubscribe page from touchline.yaml unless the environment sets them", () => {
    const project = projectWith(undefined, { from: "CS <cs@vendor.example>", unsubscribeUrl: "https://vendor.example/u" });
    expect(loadDeliverySettings(project, {})).toMatchObject({ from: "CS <cs@vendor.example>", unsubscribeUrl: "https://vendor.example/u" });
    expect(loadDeliverySettings(project, { TOUCHLINE_MAIL_FROM: "Ops <ops@vendor.example>", TOUCHLINE_UNSUBSCRIBE_URL: "https://u.vendor.example" })).toMatchObject({ from: "Ops <ops@vendor.example>", unsubscribeUrl: "https://u.vendor.example" });
  });

  it("lists every secret, plain and URL-encoded, for redaction", () => {
    const settings = load({ TOUCHLINE_SMTP_URL: "smtp://u:p%40ssword-123@mail.example", TOUCHLINE_WEBHOOK_SECRET: "webhook-secret-0123456789" });
    expect(redact("login p@ssword-123 failed; url smtp://u:p%40ssword-123@x; sig webhook-secret-0123456789", settings)).toBe("login [secret] failed; url smtp://u:[secret]@x; sig [secret]");
  });
});
