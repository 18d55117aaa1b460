import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { main } from "../../src/cli/main.js";
import type { Io } from "../../src/cli/output.js";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
export const bin = join(root, "bin/touchline.js");

export interface ProjectFiles {
  "playbook.play": string;
  [file: string]: string;
}

/** A throwaway project folder: a touchline.yaml, a playbook and data files. */
export class TestProject {
  readonly dir: string;

  constructor(files: ProjectFiles, config: Record<string, unknown> = {}) {
    this.dir = mkdtempSync(join(tmpdir(), "touchline-project-"));
    const accounts = Object.keys(files).find((f) => f.startsWith("accounts"));
    const events = Object.keys(files).find((f) => f.startsWith("events"));
    const overrides = Object.keys(files).find((f) => f.startsWith("overrides"));
    const settings: Record<string, unknown> = { playbook: "playbook.play", accounts: accounts ?? "accounts.csv" };
    if (events) settings.events = events;
    if (overrides) settings.overrides = overrides;
    Object.assign(settings, config);
    const lines = Object.entries(settings).map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
    this.write("touchline.yaml", `${lines.join("\n")}\n`);
    for (const [file, text] of Object.entries(files)) this.write(file, text);
  }

  write(file: string, text: string): void {
    writeFileSync(join(this.dir, file), text);
  }

  read(file: string): string {
    return readFileSync(join(this.dir, file), "utf8");
  }

  exists(file: string): boolean {
    return existsSync(join(this.dir, file));
  }

  /** Runs the CLI as a process in the project folder. */
  cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
    const result = spawnSync("node", [bin, ...args], { cwd: this.dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  /** Starts the CLI as a process without waiting for it (for concurrent runs and kill tests). */
  start(...args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
    const child = spawn("node", [bin, ...args], { cwd: this.dir, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk) => (stdout += chunk));
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
    return { child, done };
  }

  /** Runs a CLI command in this process, in the project folder (as `cli` would, without a Node start-up). */
  async main(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const io: Io = { out: (t) => (stdout += t.endsWith("\n") ? t : `${t}\n`), err: (t) => (stderr += t.endsWith("\n") ? t : `${t}\n`), color: false };
    const cwd = process.cwd();
    process.chdir(this.dir);
    try {
      return { code: await main(args, io), stdout, stderr };
    } finally {
      process.chdir(cwd);
    }
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  /**
   * `touchline run <project> --as-of day --out decisions.jsonl`, returning
   * each account's decision. It runs the CLI's own entry point in this
   * process (the same code as the binary, without a Node start-up per day);
   * tests of the process itself (exit codes, signals, pipes) use `cli`.
   */
  async run(day: string, ...extra: string[]): Promise<{ code: number | null; stdout: string; stderr: string; decisions: Map<string, Decision> }> {
    const out = join(this.dir, `decisions-${day}.jsonl`);
    let stdout = "";
    let stderr = "";
    const io: Io = { out: (t) => (stdout += t.endsWith("\n") ? t : `${t}\n`), err: (t) => (stderr += t.endsWith("\n") ? t : `${t}\n`), color: false };
    const absolute = extra.map((arg, i) => (i > 0 && ["--state", "--rejects", "--out"].includes(extra[i - 1]!) && !isAbsolute(arg) ? join(this.dir, arg) : arg));
    const cwd = process.cwd();
    process.chdir(this.dir);
    let code: number;
    try {
      code = await main(["run", this.dir, "--as-of", day, "--out", out, ...absolute], io);
    } finally {
      process.chdir(cwd);
    }
    const decisions = new Map<string, Decision>();
    if (existsSync(out)) {
      for (const line of readFileSync(out, "utf8").split("\n").filter(Boolean)) {
        const decision = JSON.parse(line) as Decision;
        decisions.set(decision.account, decision);
      }
    }
    return { code, stdout, stderr, decisions };
  }
}

export interface Decision {
  account: string;
  as_of: string;
  health: { model: string; score: number | null; status: string | null; trend: number | null; components: Record<string, { score: number | null; weight: number; contribution: number; missing: boolean; overridden: boolean }>; caps: string[]; grace: boolean } | null;
  tier: { value: string | null; computed: string | null; previous: string | null; pending: string | null } | null;
  segments: Record<string, boolean>;
  metrics: Record<string, unknown>;
  onboarding: { completion: number; complete: boolean; time_to_value_days: number | null; milestones: Record<string, { status: string; due: string; done_on: string | null }> } | null;
  actions: { trigger: string; step: number; kind: string; target: string; to: string | null; priority: number; status: string; reason: string }[];
  notices: string[];
}
