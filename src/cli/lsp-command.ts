/** `touchline lsp --stdio`: the language server, for VS Code, Neovim or any LSP client. */
export async function runLanguageServer(): Promise<void> {
  const { createConnection, ProposedFeatures, StreamMessageReader, StreamMessageWriter } = await import("vscode-languageserver/node");
  const { startServer } = await import("../../language-server/src/server.js");
  const reader = new StreamMessageReader(process.stdin);
  // A frame the server cannot read (no or a wrong Content-Length, broken JSON) leaves it
  // out of step with the client for good: say so and stop, rather than wait unanswered.
  reader.onError((error) => {
    process.stderr.write(`touchline lsp: cannot read a message from the client (${(error as Error).message ?? String(error)}); stopping\n`);
    process.exit(1);
  });
  reader.onClose(() => process.exit(0));
  startServer(createConnection(ProposedFeatures.all, reader, new StreamMessageWriter(process.stdout)));
  // The connection keeps the process alive until the client says exit.
  await new Promise<never>(() => undefined);
}
