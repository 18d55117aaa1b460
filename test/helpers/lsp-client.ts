import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type Diagnostic,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from "vscode-languageserver-protocol/node";

// This helper also runs compiled, from dist/test/helpers (the editor benchmark uses it).
const bin = fileURLToPath(new URL(import.meta.url.includes("/dist/") ? "../../../bin/touchline.js" : "../../bin/touchline.js", import.meta.url));

/** A real protocol client driving `touchline lsp --stdio` as a separate process. */
export class LspClient {
  readonly process: ChildProcess;
  readonly connection: ProtocolConnection;
  private readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  private readonly waiters: { uri: string; version: number | undefined; resolve: (d: Diagnostic[]) => void }[] = [];
  private versions = new Map<string, number>();
  stderr = "";

  constructor() {
    // TOUCHLINE_LSP_NODE_ARGS passes options to the server's node, to profile it: `--cpu-prof --cpu-prof-dir=/tmp/profile`.
    const nodeArgs = process.env.TOUCHLINE_LSP_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
    this.process = spawn("node", [...nodeArgs, bin, "lsp", "--stdio"], { stdio: ["pipe", "pipe", "pipe"] });
    this.process.stderr!.on("data", (chunk) => (this.stderr += String(chunk)));
    this.connection = createProtocolConnection(new StreamMessageReader(this.process.stdout!), new StreamMessageWriter(this.process.stdin!));
    this.connection.onNotification("textDocument/publishDiagnostics", (params: PublishDiagnosticsParams) => {
      this.diagnostics.set(params.uri, params);
      for (const waiter of [...this.waiters]) {
        if (waiter.uri === params.uri && (waiter.version === undefined || params.version === waiter.version)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(params.diagnostics);
        }
      }
    });
    this.connection.onNotification("window/logMessage", () => undefined);
    this.connection.listen();
  }

  static uri(path: string): string {
    return pathToFileURL(path).href;
  }

  async initialize(rootPath: string, initializationOptions: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const result = await this.connection.sendRequest("initialize", { processId: process.pid, rootUri: LspClient.uri(rootPath), capabilities: {}, initializationOptions });
    await this.connection.sendNotification("initialized", {});
    return result as Record<string, unknown>;
  }

  /** Opens a document and waits for its first diagnostics. */
  open(uri: string, text: string, languageId = uri.endsWith(".play") ? "touchline" : "yaml"): Promise<Diagnostic[]> {
    this.versions.set(uri, 1);
    const waiting = this.nextDiagnostics(uri, 1);
    void this.connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId, version: 1, text } });
    return waiting;
  }

  /** Sends incremental edits and waits for the diagnostics of the new version. */
  change(uri: string, changes: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; text: string }[]): Promise<Diagnostic[]> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    const waiting = this.nextDiagnostics(uri, version);
    void this.connection.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: changes });
    return waiting;
  }

  /** The diagnostics published for one version of a document. */
  diagnosticsFor(uri: string, version: number): Promise<Diagnostic[]> {
    return this.nextDiagnostics(uri, version);
  }

  /** The next diagnostics published for a document, whatever its version (a base's edit re-checks its children). */
  nextPublished(uri: string): Promise<Diagnostic[]> {
    return new Promise((resolve) => this.waiters.push({ uri, version: undefined, resolve }));
  }

  private nextDiagnostics(uri: string, version: number): Promise<Diagnostic[]> {
    return new Promise((resolve) => this.waiters.push({ uri, version, resolve }));
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  async shutdown(): Promise<number | null> {
    await this.connection.sendRequest("shutdown");
    await this.connection.sendNotification("exit");
    return new Promise((resolve) => {
      if (this.process.exitCode !== null) resolve(this.process.exitCode);
      this.process.on("exit", (code) => resolve(code));
    });
  }
}

/** Splits a text with a `<|>` cursor marker into the text and the cursor's position. */
export function cursor(marked: string): { text: string; position: { line: number; character: number } } {
  const offset = marked.indexOf("<|>");
  const text = marked.replace("<|>", "");
  const before = text.slice(0, offset).split("\n");
  return { text, position: { line: before.length - 1, character: before[before.length - 1]!.length } };
}
