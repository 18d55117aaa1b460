import { Command, CommanderError } from "commander";
import { runCheck } from "./check-command.js";
import { runConvert, runFormat } from "./format-command.js";
import { EXIT, processIo, UsageError, type Io } from "./output.js";

const VERSION = "0.1.0";

function program(io: Io, setExit: (code: number) => void): Command {
  const cli = new Command("touchline")
    .description("Customer-success playbooks as code: check, format and convert playbooks.")
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
