import { Command, CommanderError } from "commander";
import { EXIT, processIo, UsageError, type Io } from "./output.js";

// Each command's module is loaded when that command runs: `run` never loads the SMTP client, the language server or
// the simulator, and every command starts sooner.
const checkCommand = () => import("./check-command.js");
const formatCommand = () => import("./format-command.js");
const runCommand = () => import("./run-command.js");
const outboxCommand = () => import("./outbox-command.js");
const previewCommand = () => import("./preview-command.js");
const simulateCommand = () => import("./simulate-command.js");
const explainCommand = () => import("./explain-command.js");
const lspCommand = () => import("./lsp-command.js");

const VERSION = "0.1.0";

/** An option that may be given several times: each value, in order. */
const repeated = (value: string, all: string[]) => [...all, value];

function program(io: Io, setExit: (code: number) => void): Command {
  const cli = new Command("touchline")
    .description("Customer-success playbooks as code: check, format, convert and run playbooks.")
    .version(VERSION)
    .exitOverride()
    // Options go with the command they follow: `outbox deliver --state x` is an error, not the list's filter.
    .enablePositionalOptions()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  cli
    .command("check")
    .description("Report every error and warning in the playbooks under the given files or folders")
    .argument("[paths...]", "playbook files or folders", [])
    .option("--format <format>", "human or json", "human")
    .action(async (paths: string[], opts: { format: string }) => {
      if (opts.format !== "human" && opts.format !== "json") throw new UsageError(`--format must be human or json, not ${opts.format}`);
      setExit((await checkCommand()).runCheck(paths, { format: opts.format }, io));
    });
  cli
    .command("fmt")
    .description("Rewrite .play files in the canonical layout")
    .argument("[paths...]", ".play files or folders", [])
    .option("--check", "only report files that are not formatted (exit 1)", false)
    .option("--stdout", "print the formatted text instead of writing the file", false)
    .action(async (paths: string[], opts: { check: boolean; stdout: boolean }) => setExit((await formatCommand()).runFormat(paths, opts, io)));
  cli
    .command("convert")
    .description("Convert a playbook between YAML and the .play DSL")
    .argument("<file>", "the playbook to convert")
    .requiredOption("--to <notation>", "play or yaml")
    .option("--out <file>", "write here instead of printing")
    .action(async (file: string, opts: { to: string; out?: string }) => setExit((await formatCommand()).runConvert(file, opts, io)));
  cli
    .command("run")
    .description("Evaluate a project's playbook for every account on one day; a dry run unless --send")
    .argument("<project>", "a project folder with a touchline.yaml")
    .requiredOption("--as-of <date>", "the day to evaluate, YYYY-MM-DD")
    .option("--dry-run", "evaluate and report only, send nothing (the default)")
    .option("--send", "record the decided actions in the outbox ledger and deliver them (email, tasks, offers, webhooks)", false)
    .option("--now <datetime>", "with --send: the delivery clock, ISO 8601 (default: the real time)")
    .option("--out <file>", "write decisions to a .jsonl or .csv file (repeatable)", repeated, [] as string[])
    .option("--strict", "stop at the first bad input row", false)
    .option("--state <file>", "the SQLite state file (default: the project's, .touchline/state.db)")
    .option("--no-state", "remember nothing between runs")
    .option("--rejects <file>", "where to write rejected rows (default: next to the state file)")
    .option("--wait <seconds>", "how long to wait for another run that holds the state file (default 30)")
    .action(async (project: string, opts: { asOf: string; out: string[]; strict: boolean; state?: string | boolean; rejects?: string; wait?: string; send: boolean; dryRun?: boolean; now?: string }) => {
      const noState = opts.state === false;
      if (opts.send && opts.dryRun) throw new UsageError("--send and --dry-run cannot be used together");
      if (opts.now !== undefined && !opts.send) throw new UsageError("--now is the delivery clock: it goes with --send");
      if (opts.send && typeof opts.state === "string") throw new UsageError("--send uses the project's state file, which keeps the outbox and the suppression list: drop --state (another state file would know nothing of what was sent or who unsubscribed)");
      setExit(await (await runCommand()).runRun(project, { asOf: opts.asOf, out: opts.out, strict: opts.strict, state: typeof opts.state === "string" ? opts.state : undefined, noState, rejects: opts.rejects, wait: opts.wait, progress: process.stderr.isTTY === true, send: opts.send, now: opts.now }, io));
    });
  const outbox = cli
    .command("outbox")
    .description("List the outbox ledger: every action recorded by run --send, its state and why")
    .argument("<project>", "a project folder with a touchline.yaml")
    .option("--state <states>", `only these states, comma-separated or repeated: ${["planned", "waiting", "sending", "sent", "failed", "dead", "suppressed", "capped"].join(", ")}`, repeated, [] as string[])
    .option("--account <id>", "only this account (repeatable)", repeated, [] as string[])
    .option("--trigger <names>", "only these triggers, comma-separated or repeated", repeated, [] as string[])
    .option("--since <date>", "only actions decided on or after this day, YYYY-MM-DD")
    .option("--limit <n>", "at most this many rows")
    .option("--format <table|json>", "how to print them", "table")
    .action(async (project: string, opts: { state: string[]; account: string[]; trigger: string[]; since?: string; limit?: string; format: string }) => setExit(await (await outboxCommand()).runOutboxList(project, opts, io)));
  outbox
    .command("deliver")
    .description("Deliver what is due now: actions that waited for quiet hours, business days or holidays, and failed ones whose next attempt has come")
    .argument("<project>", "a project folder with a touchline.yaml")
    .option("--now <datetime>", "the delivery clock, ISO 8601 (default: the real time)")
    .action(async (project: string, opts: { now?: string }) => setExit(await (await outboxCommand()).runOutboxDeliver(project, { ...opts, format: "table", retry: false, progress: process.stderr.isTTY === true }, io)));
  outbox
    .command("retry")
    .description("Try failed and given-up actions again now (all, or those matching the filters)")
    .argument("<project>", "a project folder with a touchline.yaml")
    .option("--state <states>", "failed, dead or both (default both)", repeated, [] as string[])
    .option("--account <id>", "only this account (repeatable)", repeated, [] as string[])
    .option("--trigger <names>", "only these triggers, comma-separated or repeated", repeated, [] as string[])
    .option("--since <date>", "only actions decided on or after this day")
    .option("--now <datetime>", "the delivery clock, ISO 8601 (default: the real time)")
    .action(async (project: string, opts: { state: string[]; account: string[]; trigger: string[]; since?: string; now?: string }) => setExit(await (await outboxCommand()).runOutboxDeliver(project, { ...opts, format: "table", retry: true, progress: process.stderr.isTTY === true }, io)));
  cli
    .command("suppress")
    .description("Manage the suppression list: addresses or accounts no automated action reaches")
    .argument("<action>", "add, remove or list")
    .argument("<project>", "a project folder with a touchline.yaml")
    .argument("[target]", "an email address, or an account id with --account")
    .option("--account", "the target is an account id", false)
    .option("--category <name>", "only this category of email (default: everything)")
    .option("--reason <text>", "why, kept with the entry")
    .action(async (action: string, project: string, target: string | undefined, opts: { account: boolean; category?: string; reason?: string }) => setExit(await (await outboxCommand()).runSuppress(project, action, target, opts, io)));
  cli
    .command("unsubscribe")
    .description("Apply the token of an unsubscribe link: its address stops getting that category of email")
    .argument("<project>", "a project folder with a touchline.yaml")
    .argument("<token>", "the token= value of the link")
    .action(async (project: string, token: string, opts: { now?: string }) => setExit(await (await outboxCommand()).runUnsubscribe(project, token, opts, io)));
  cli
    .command("serve-unsubscribe")
    .description("A small HTTP endpoint for unsubscribe links: GET asks to confirm, POST (and RFC 8058 one-click) applies the token")
    .argument("<project>", "a project folder with a touchline.yaml")
    .option("--port <port>", "the port to listen on", "8025")
    .option("--host <host>", "the address to listen on", "127.0.0.1")
    .action(async (project: string, opts: { port: string; host: string }) => setExit(await (await outboxCommand()).runServeUnsubscribe(project, opts, io)));
  cli
    .command("preview")
    .description("Render one email template for one account as it would go out (nothing is sent or recorded)")
    .argument("<project>", "a project folder with a touchline.yaml")
    .argument("<account>", "the account id")
    .argument("<template>", "the template's name")
    .requiredOption("--as-of <date>", "the day the account is evaluated, YYYY-MM-DD")
    .option("--format <text|html|eml>", "the text part, the HTML part, or the whole message", "text")
    .action(async (project: string, account: string, template: string, opts: { asOf: string; format: string }) => setExit(await (await previewCommand()).runPreview(project, account, template, opts, io)));
  cli
    .command("simulate")
    .description("Replay the playbook over the project's history day by day and backtest it against churn (a dry run: nothing is sent)")
    .argument("<project>", "a project folder with a touchline.yaml that has a history section")
    .requiredOption("--from <date>", "the first day replayed, YYYY-MM-DD")
    .requiredOption("--to <date>", "the last day replayed, YYYY-MM-DD")
    .option("--step <day|week>", "evaluate every day or every 7th day", "day")
    .option("--horizon <days>", "how soon after a signal a churn counts as foreseen", "90d")
    .option("--compare <playbook>", "also replay this playbook (another version) over the same history and report the differences")
    .option("--out <folder>", "write report.html, report.json, days.csv, actions.csv, task-load.csv and backtest.csv there")
    .option("--strict", "stop at the first bad input row", false)
    .option("--threads <n>", "replay accounts on n threads side by side (default: one per core, up to 8, with at least 1,000 accounts each); 1 replays on the main thread")
    .action(async (project: string, opts: { from: string; to: string; step: string; horizon: string; compare?: string; out?: string; strict: boolean; threads?: string }) => setExit(await (await simulateCommand()).runSimulate(project, { ...opts, progress: process.stderr.isTTY === true }, io)));
  cli
    .command("kpi")
    .description("Portfolio KPIs by month from the history's revenue: MRR, ARR, movements, churn, GRR, NRR, retention, renewal")
    .argument("<project>", "a project folder with a touchline.yaml whose history names mrr")
    .option("--format <table|json|csv>", "how to print them", "table")
    .option("--threads <n>", "replay accounts on n threads side by side, as simulate does (default: one per core, up to 8, with at least 1,000 accounts each)")
    .action(async (project: string, opts: { format: string; threads?: string }) => setExit(await (await simulateCommand()).runKpi(project, opts, io)));
  cli
    .command("explain")
    .description("Show why an account has its score, tier and actions on a day")
    .argument("<project>", "a project folder with a touchline.yaml")
    .argument("<account>", "the account id")
    .requiredOption("--as-of <date>", "the day to evaluate, YYYY-MM-DD")
    .option("--state <file>", "the SQLite state file to compare with (default: the project's)")
    .option("--since <days|date>", "compare with what the state remembered that many days before (7d) or on that day (YYYY-MM-DD)")
    .action(async (project: string, account: string, opts: { asOf: string; state?: string; since?: string }) => setExit(await (await explainCommand()).runExplain(project, account, opts, io)));
  cli
    .command("lsp")
    .description("Start the language server (for editors)")
    .option("--stdio", "talk over standard input and output (the default)")
    .action(async () => {
      await (await lspCommand()).runLanguageServer();
    });
  return cli;
}

/** Runs the CLI and returns its exit code; never lets a stack trace reach the user. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  let code: number = EXIT.ok;
  try {
    await program(io, (c) => (code = c)).parseAsync(argv, { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError) {
      io.err(`touchline: ${error.message}`);
      return EXIT.usage;
    }
    io.err(`touchline: internal error: ${(error as Error).message}\nThis is a bug in Touchline; please report it with the playbook that caused it.`);
    return 3;
  }
}
