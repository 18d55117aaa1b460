// The VS Code client: starts the workspace's own `touchline lsp --stdio` and
// hands it .play files and YAML playbooks.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");
const { serverCommand } = require("./server-command.js");

let client;

function settings() {
  const config = vscode.workspace.getConfiguration("touchline");
  return {
    command: config.get("serverCommand") || [],
    sampleData: config.get("sampleData") || undefined,
    sampleAsOf: config.get("sampleAsOf") || undefined,
  };
}

async function activate(context) {
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
