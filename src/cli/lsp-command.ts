/** `touchline lsp --stdio`: the language server, for VS Code, Neovim or any LSP client. */
export async function runLanguageServer(): Promise<void> {
  const { createConnection, ProposedFeatures, StreamMessageReader, StreamMessageWriter } = await import("vscode-languageserver/node");
  const { startServer } = await import("../../language-server/src/server.js");
  startServer(createConnection(ProposedFeatures.all, new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout)));
  // The connection keeps the process alive until the client says exit.
  await new Promise<never>(() => undefined);
}
