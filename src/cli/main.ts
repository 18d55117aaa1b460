import { Command, CommanderError } from "commander";
import { runCheck } from "./check-command.js";
import { runExplain } from "./explain-command.js";
import { runConvert, runFormat } from "./format-command.js";
import { runLanguageServer } from "./lsp-command.js";
import { runRun } from "./run-command.js";
import { runKpi, runSimulate } from "./simulate-command.js";
import { EXIT, processIo, UsageError, type Io } from "./output.js";

const VERSION = "0.1.0";

function program(io: Io, setExit: (code: number) => void): Command {
  const cli = new Command("touchline")
    .description("Customer-success playbooks as code: check, format, convert and run playbooks.")
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  cli
    .command("check")
    .description("Report every error and warning in the playbooks under the given files or folders")
    .argument("[paths...]", "playbook files or folders", [])
    .option("--format <format>", "human or json", "human")
    .action((paths: string[], opts: { format: string }) => {
      if (opts.format !== "human" && opts.format !== "json") throw new UsageError(`--format must be human or json, not ${opts.format}`);
      setExit(runCheck(paths, { format: opts.format }, io));
    });
  cli
    .command("fmt")
    .description("Rewrite .play files in the canonical layout")
    .argument("[paths...]", ".play files or folders", [])
    .option("--check", "only report files that are not formatted (exit 1)", false)
    .option("--stdout", "print the formatted text instead of writing the file", false)
    .action((paths: string[], opts: { check: boolean; stdout: boolean }) => setExit(runFormat(paths, opts, io)));
  cli
    .command("convert")
    .description("Convert a playbook between YAML and the .play DSL")
    .argument("<file>", "the playbook to convert")
    .requiredOption("--to <notation>", "play or yaml")
    .option("--out <file>", "write here instead of printing")
    .action((file: string, opts: { to: string; out?: string }) => setExit(runConvert(file, opts, io)));
  cli
    .command("run")
    .description("Evaluate a project's playbook for every account on one day (a dry run: nothing is sent)")
    .argument("<project>", "a project folder with a touchline.yaml")
    .requiredOption("--as-of <date>", "the day to evaluate, YYYY-MM-DD")
    .option("--dry-run", "evaluate and report only (the default until sending is available)")
    .option("--out <file>", "write decisions to a .jsonl or .csv file (repeatable)", (value: string, all: string[]) => [...all, value], [] as string[])
    .option("--strict", "stop at the first bad input row", false)
    .option("--state <file>", "the SQLite state file (default: the project's, .touchline/state.db)")
    .option("--no-state", "remember nothing between runs")
    .option("--rejects <file>", "where to write rejected rows (default: next to the state file)")
    .option("--wait <seconds>", "how long to wait for another run that holds the state file (default 30)")
    .action(async (project: string, opts: { asOf: string; out: string[]; strict: boolean; state?: string | boolean; rejects?: string; wait?: string }) => {
      const noState = opts.state === false;
      setExit(await runRun(project, { asOf: opts.asOf, out: opts.out, strict: opts.strict, state: typeof opts.state === "string" ? opts.state : undefined, noState, rejects: opts.rejects, wait: opts.wait, progress: process.stderr.isTTY === true }, io));
    });
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
    .action(async (project: string, opts: { from: string; to: string; step: string; horizon: string; compare?: string; out?: string; strict: boolean }) => setExit(await runSimulate(project, { ...opts, progress: process.stderr.isTTY === true }, io)));
  cli
    .command("kpi")
    .description("Portfolio KPIs by month from the history's revenue: MRR, ARR, movements, churn, GRR, NRR, retention, renewal")
    .argument("<project>", "a project folder with a touchline.yaml whose history names mrr")
    .option("--format <table|json|csv>", "how to print them", "table")
    .action(async (project: string, opts: { format: string }) => setExit(await runKpi(project, opts, io)));
  cli
    .command("explain")
    .description("Show why an account has its score, tier and actions on a day")
    .argument("<project>", "a project folder with a touchline.yaml")
    .argument("<account>", "the account id")
    .requiredOption("--as-of <date>", "the day to evaluate, YYYY-MM-DD")
    .option("--state <file>", "the SQLite state file to compare with (default: the project's)")
    .option("--since <days|date>", "compare with what the state remembered that many days before (7d) or on that day (YYYY-MM-DD)")
    .action(async (project: string, account: string, opts: { asOf: string; state?: string; since?: string }) => setExit(await runExplain(project, account, opts, io)));
  cli
    .command("lsp")
    .description("Start the language server (for editors)")
    .option("--stdio", "talk over standard input and output (the default)")
    .action(async () => {
      await runLanguageServer();
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
