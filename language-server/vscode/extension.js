// The VS Code client: starts the workspace's own `touchline lsp --stdio` and
// hands it .play files and YAML playbooks.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");
const { serverCommand, looksLikePlaybook } = require("./server-command.js");

let client;

function settings() {
  const config = vscode.workspace.getConfiguration("touchline");
  return {
    command: config.get("serverCommand") || [],
    sampleData: config.get("sampleData") || undefined,
    sampleAsOf: config.get("sampleAsOf") || undefined,
    globs: config.get("playbookGlobs") || [],
  };
}

/** .play files, project files, and YAML files that are playbooks (by their first key or a configured glob). */
function isTouchlineDocument(document, globs) {
  if (document.languageId === "touchline" || document.fileName.endsWith(".play")) return true;
  if (document.languageId !== "yaml") return false;
  if (/(^|[\\/])touchline\.ya?ml$/.test(document.fileName)) return true;
  if (globs.some((pattern) => vscode.languages.match({ pattern }, document) > 0)) return true;
  return looksLikePlaybook(document.getText());
}

// VS Code activates on any YAML file; the server starts only once a playbook is open.
async function activate(context) {
  const { globs } = settings();
  if (vscode.workspace.textDocuments.some((d) => isTouchlineDocument(d, globs))) return start(context);
  const waiting = vscode.workspace.onDidOpenTextDocument((document) => {
    if (!isTouchlineDocument(document, globs)) return;
    waiting.dispose();
    void start(context);
  });
  context.subscriptions.push(waiting);
}

async function start(context) {
  const { command, sampleData, sampleAsOf } = settings();
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  const server = serverCommand(folder ? folder.uri.fsPath : undefined, command);
  if (server.missing) {
    // Said once, with what to do; nothing is started.
    void vscode.window.showWarningMessage(server.missing);
    return;
  }
  const serverOptions = {
    command: server.command,
    args: server.args,
    transport: TransportKind.stdio,
    options: { cwd: folder ? folder.uri.fsPath : undefined, shell: process.platform === "win32" },
  };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "touchline" },
      { scheme: "file", language: "yaml" },
    ],
    initializationOptions: { sampleData, sampleAsOf },
    synchronize: { configurationSection: "touchline" },
  };
  client = new LanguageClient("touchline", "Touchline", serverOptions, clientOptions);
  context.subscriptions.push(client);
  await client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
