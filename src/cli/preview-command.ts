import { DEFAULT_CATEGORY, offerOfEmail, templateContext } from "../actions/plan.js";
import { messageText } from "../actions/channels/email.js";
import { idempotencyKey } from "../actions/keys.js";
import { RenderError, TemplateRenderer } from "../actions/render.js";
import { loadDeliverySettings } from "../actions/settings.js";
import { signUnsubscribeToken, unsubscribeLink } from "../actions/unsubscribe.js";
import { confinedReader } from "../language/confine.js";
import { closestName } from "../text/suggest.js";
import { loadProject } from "../run/project.js";
import { runProject } from "../run/run.js";
import { EXIT, UsageError, type Io } from "./output.js";
import { checkAsOf, renderInputLeftOut, withProject } from "./run-command.js";

/** `touchline preview`: one template rendered for one account on one day, exactly as run --send would render it. */
export async function runPreview(projectPath: string, account: string, template: string, options: { asOf: string; format: string }, io: Io): Promise<number> {
  checkAsOf(options.asOf);
  if (!["text", "html", "eml"].includes(options.format)) throw new UsageError(`--format must be text, html or eml, not ${options.format}`);
  return withProject(projectPath, io, async () => {
    const project = loadProject(projectPath);
    const result = await runProject(project, { asOf: options.asOf, explainAccount: account, useState: true });
    const spec = result.checked.model.templates?.[template];
    if (!spec) {
      const names = Object.keys(result.checked.model.templates ?? {});
      const meant = closestName(template, names);
      io.err(`touchline: the playbook has no template "${template}"${meant ? `; did you mean "${meant}"?` : names.length > 0 ? ` (it has ${names.map((n) => `"${n}"`).join(", ")})` : ""}`);
      return EXIT.problems;
    }
    if (!result.explained) {
      io.err(`touchline: no account ${account} among the valid accounts of ${project.accounts.file}`);
      return EXIT.problems;
    }
    const { decision, fields } = result.explained;
    // The message goes to stdout (often into a file): what reading the account left out goes to stderr.
    const leftOut = renderInputLeftOut(result);
    if (leftOut.length > 0) io.err(leftOut.join("\n"));
    const settings = loadDeliverySettings(project);
    const category = spec.category ?? DEFAULT_CATEGORY;
    // The address the playbook's email action would use that day, else the account's first email field.
    const decided = decision.actions.find((a) => a.kind === "email" && a.target === template && a.to !== null)?.to;
    const emailField = [...result.checked.environment.fields].find(([name, type]) => type.name === "email" && typeof fields[name] === "string")?.[0];
    const address = decided ?? (emailField ? (fields[emailField] as string) : "recipient@example.com");
    // Without the secret there is no real link to show: a placeholder says so.
    const link = settings.unsubscribeSecret && settings.unsubscribeUrl ? unsubscribeLink(settings.unsubscribeUrl, signUnsubscribeToken({ account, address, category }, settings.unsubscribeSecret)) : "https://unsubscribe.invalid/set-TOUCHLINE_UNSUBSCRIBE_SECRET-for-the-real-link";
    const renderer = new TemplateRenderer(result.checked, confinedReader(project.allowedFolders));
    const email = decision.actions.find((a) => a.kind === "email" && a.target === template);
    const trigger = email?.trigger ?? "";
    // The offer its trigger step made that day, as run --send fills it in.
    const offer = email ? offerOfEmail(result.plan, result.checked, email, decision) : null;
    try {
      const message = renderer.render(template, { ...templateContext(result.plan, result.checked, decision, fields), trigger, unsubscribe_url: link, offer: offer as Record<string, unknown> | null });
      if (options.format === "html") io.out(message.html);
      else if (options.format === "text") io.out(`Subject: ${message.subject}\n\n${message.text}`);
      else {
        const key = idempotencyKey(result.plan.name, account, decision.day, { trigger: trigger || "preview", step: 0, kind: "email", target: template });
        // Dated when run --send would first send it (the next midnight, UTC, as the ledger's send time): the same day previews the same bytes.
        const sendsAt = new Date((decision.day + 1) * 86_400_000);
        io.out(await messageText({ to: address, ...message, unsubscribe: link }, key, settings.from ?? "Preview <preview@touchline.invalid>", sendsAt));
      }
      return EXIT.ok;
    } catch (error) {
      if (!(error instanceof RenderError)) throw error;
      io.err(`touchline: ${error.message}`);
      return EXIT.problems;
    }
  });
}
