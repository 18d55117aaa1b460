import { statSync } from "node:fs";
import { dirname, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  createConnection,
  DidChangeWatchedFilesNotification,
  ErrorCodes,
  ResponseError,
  DiagnosticSeverity,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type SymbolInformation,
  type Connection,
  type InitializeParams,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { checkText, findPlaybookFiles, formatPlay, readFromDisk, type CheckedPlaybook } from "../../src/language/index.js";
import { SourceFile } from "../../src/text/source.js";
import { checkProjectFile, isProjectFile } from "../../src/run/project-check.js";
import { completions } from "./completion.js";
import { playContext, yamlContext } from "./context.js";
import { Analyses, isPlaybook, uriToPath } from "./documents.js";
import {
  bareNameSpan,
  canRename,
  codeActions,
  definitionLocation,
  documentSymbols,
  hover,
  inlayHints,
  Ranges,
  referenceLocations,
  renameEdits,
  renameRefusal,
  samePlace,
  signatureHelp,
  templateFilesOf,
  symbolAt,
  templateFileAt,
  baseAt,
  toLspDiagnostic,
  workspaceSymbols,
} from "./features.js";
import { previewLenses, type PreviewSettings } from "./preview.js";
import { LEGEND, semanticTokens } from "./tokens.js";

/**
 * How long after an edit a document is checked. A lone edit waits only long
 * enough to gather the changes one action of the author sends together
 * (an editor sends them back to back, within a millisecond or two); while
 * someone types fast, the wait is longer than their pace.
 */
const DEBOUNCE_MS = 5;
const TYPING_DEBOUNCE_MS = 70;

/**
 * The Touchline language server: every feature answers from the same
 * checked playbook the CLI uses (one parser, one checker, one symbol table).
 * Any failure in a handler is logged and answered with nothing; the server
 * itself never goes down.
 */
export function startServer(connection: Connection = createConnection(ProposedFeatures.all)): Connection {
  const documents = new TextDocuments(TextDocument);
  const analyses = new Analyses((uri) => documents.get(uri));
  let settings: PreviewSettings = {};
  let root: string | undefined;
  let watchesFiles = false;

  const safely = <A extends unknown[], R>(name: string, handler: (...args: A) => R, fallback: Awaited<R> | null = null) =>
    async (...args: A): Promise<Awaited<R> | null> => {
      try {
        return await handler(...args);
      } catch (error) {
        // A refusal the user should read (an invalid new name) goes back as the request's error.
        if (error instanceof ResponseError) throw error;
        connection.console.error(`touchline: ${name} failed: ${(error as Error).stack ?? String(error)}`);
        return fallback;
      }
    };

  const withDocument = <R>(uri: string, work: (document: TextDocument) => R): R | null => {
    const document = documents.get(uri);
    if (!document || !isPlaybook(document)) return null;
    return work(document);
  };

  connection.onInitialize((params: InitializeParams) => {
    const options = (params.initializationOptions ?? {}) as PreviewSettings;
    settings = options;
    root = params.rootUri ? fileURLToPath(params.rootUri) : (params.rootPath ?? undefined);
    watchesFiles = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        completionProvider: { triggerCharacters: [".", '"', " ", ":"] },
        hoverProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        workspaceSymbolProvider: true,
        documentFormattingProvider: true,
        semanticTokensProvider: { legend: LEGEND, full: true },
        signatureHelpProvider: { triggerCharacters: ["(", ","] },
        codeActionProvider: { codeActionKinds: ["quickfix"] },
        inlayHintProvider: true,
        codeLensProvider: { resolveProvider: false },
      },
      serverInfo: { name: "touchline", version: "0.1.0" },
    };
  });

  // Playbooks extend files that may change on disk (a checkout, another editor): ask to hear of it, where the client lets a server ask.
  connection.onInitialized(() => {
    if (watchesFiles) void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: "**/*.play" }, { globPattern: "**/*.{yaml,yml}" }] });
  });

  connection.onDidChangeConfiguration(({ settings: changed }) => {
    const touchline = (changed as { touchline?: PreviewSettings } | undefined)?.touchline;
    if (touchline) settings = { ...settings, ...touchline };
  });

  const publish = (document: TextDocument) => {
    if (isProjectFile(uriToPath(document.uri))) {
      // A project file gets the project's own checks.
      const { diagnostics } = checkProjectFile(uriToPath(document.uri), document.getText());
      void connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics: diagnostics.map((d) => ({ range: d.range, severity: d.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning, code: d.code, source: "touchline", message: d.message })) });
      return;
    }
    if (!isPlaybook(document)) return;
    const checked = analyses.get(document);
    const ranges = new Ranges(checked);
    const own = uriToPath(document.uri);
    const diagnostics = checked.diagnostics.filter((d) => d.file === own).map((d) => toLspDiagnostic(d, ranges));
    // Errors in a base playbook show at this playbook's `extends` line, each linked to its place.
    const inBases = checked.diagnostics.filter((d) => d.file !== own && d.severity === "error");
    const extendsAt = checked.sources.locate(["extends"]);
    if (inBases.length > 0 && extendsAt.exact && extendsAt.map.source.path === own) {
      const first = inBases[0]!;
      diagnostics.push({
        range: ranges.range(own, extendsAt.entry.span),
        severity: DiagnosticSeverity.Error,
        code: first.code,
        source: "touchline",
        message: `the base playbook has ${inBases.length} error${inBases.length === 1 ? "" : "s"}: ${relative(dirname(own), first.file)}:${first.range.start.line + 1}:${first.range.start.character + 1} ${first.message}`,
        relatedInformation: inBases.slice(0, 20).map((d) => ({ location: { uri: pathToFileURL(d.file).href, range: d.range }, message: d.message })),
      });
    }
    void connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics });
  };

  // Playbooks across the workspace (open ones as edited, the others from disk), re-read when they change.
  const workspaceChecks = new Map<string, { mtime: number; checked: CheckedPlaybook }>();
  const workspacePlaybooks = (): { file: string; checked: CheckedPlaybook }[] => {
    if (!root) return [];
    const found: { file: string; checked: CheckedPlaybook }[] = [];
    for (const file of findPlaybookFiles([root]).files.filter((f) => !isProjectFile(f)).slice(0, 500)) {
      const open = documents.get(pathToFileURL(file).href);
      if (open) {
        if (isPlaybook(open)) found.push({ file, checked: analyses.get(open) });
        continue;
      }
      const mtime = statSync(file).mtimeMs;
      const cached = workspaceChecks.get(file);
      if (cached && cached.mtime === mtime) found.push({ file, checked: cached.checked });
      else {
        const text = readFromDisk(file);
        if (text === undefined) continue;
        let checked: CheckedPlaybook;
        try {
          checked = checkText(file, text);
        } catch (error) {
          // One file the checker cannot read must not take references and rename away from every other playbook.
          connection.console.error(`${file}: ${(error as Error).stack ?? String(error)}`);
          continue;
        }
        workspaceChecks.set(file, { mtime, checked });
        found.push({ file, checked });
      }
    }
    return found;
  };

  /**
   * The playbooks a name of this one can reach: those that share a file with
   * it (its bases, the playbooks that extend any of them). A rename edits
   * them all and must not clash in any of them.
   */
  const familyOf = (checked: CheckedPlaybook, file: string, kind?: string) => {
    const files = new Set(checked.layers.map((layer) => layer.source.path));
    const others = workspacePlaybooks().filter((p) => p.file !== file);
    const family = others.filter((p) => p.checked.layers.some((layer) => files.has(layer.source.path)));
    if (kind !== "field") return family;
    // A field is also named in template files: a playbook sharing one of them follows its rename too.
    const templates = templateFilesOf(checked);
    for (const member of family) for (const template of templateFilesOf(member.checked)) templates.add(template);
    const sharing = others.filter((p) => !family.includes(p) && [...templateFilesOf(p.checked)].some((t) => templates.has(t)));
    return [...family, ...sharing];
  };

  /** Open playbooks that read a file (extend it, directly or further up), other than that file itself. */
  const dependentsOf = (path: string): TextDocument[] =>
    documents.all().filter((d) => uriToPath(d.uri) !== path && isPlaybook(d) && analyses.get(d).layers.some((layer) => layer.source.path === path));
  // Edits are debounced: a burst of keystrokes is checked once, at its end, for the latest text.
  // While someone types fast (edits under 100 ms apart) the wait is a little longer than their pace, so no check
  // of a text about to change blocks the next keystroke; a lone edit is checked after the short wait.
  const pending = new Map<string, ReturnType<typeof setTimeout>>();
  const lastEdit = new Map<string, number>();
  const publishSoon = (document: TextDocument) => {
    clearTimeout(pending.get(document.uri));
    const now = performance.now();
    const typing = now - (lastEdit.get(document.uri) ?? -Infinity) < 100;
    lastEdit.set(document.uri, now);
    pending.set(
      document.uri,
      setTimeout(() => {
        pending.delete(document.uri);
        const latest = documents.get(document.uri);
        if (latest) void safely("diagnostics", publish)(latest);
      }, typing ? TYPING_DEBOUNCE_MS : DEBOUNCE_MS),
    );
  };
  documents.onDidOpen(({ document }) => void safely("diagnostics", publish)(document));
  documents.onDidChangeContent(({ document }) => {
    // An edited base changes every open playbook that extends it: they are checked again too.
    const path = uriToPath(document.uri);
    const dependents = dependentsOf(path);
    publishSoon(document);
    for (const dependent of dependents) {
      analyses.forget(dependent.uri);
      publishSoon(dependent);
    }
  });
  /** Open playbooks that extend `path` are checked again: its text changed under them (closed unsaved, or changed on disk). */
  const recheckDependents = (path: string) => {
    for (const dependent of dependentsOf(path)) {
      analyses.forget(dependent.uri);
      publishSoon(dependent);
    }
  };
  documents.onDidClose(({ document }) => {
    clearTimeout(pending.get(document.uri));
    pending.delete(document.uri);
    analyses.forget(document.uri);
    void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
    // Closed without saving, a base is read from disk again by the playbooks that extend it.
    recheckDependents(uriToPath(document.uri));
  });
  connection.onDidChangeWatchedFiles(({ changes }) => {
    for (const change of changes) {
      // An open file is the editor's text, not the disk's.
      if (!documents.get(change.uri)) recheckDependents(uriToPath(change.uri));
    }
  });

  connection.onCompletion(
    safely("completion", ({ textDocument, position }) =>
      withDocument(textDocument.uri, (document) => {
        // In a .play file the context comes from the text itself: names come from the last analysis, not a fresh one.
        const play = document.uri.endsWith(".play");
        const checked = play ? analyses.latest(document) : analyses.forEditing(document);
        const offset = document.offsetAt(position);
        const text = document.getText();
        const context = play ? playContext(text, offset) : yamlContext(text, offset, checked);
        return completions(context, checked);
      }),
    ),
  );

  connection.onHover(
    safely("hover", ({ textDocument, position }) =>
      withDocument(textDocument.uri, (document) => {
        const checked = analyses.get(document);
        const file = uriToPath(document.uri);
        const offset = document.offsetAt(position);
        const base = baseAt(checked, file, offset);
        if (base) {
          const about = base.name !== undefined ? `the playbook \`${base.name}\` in \`${relative(dirname(file), base.path)}\`` : `\`${relative(dirname(file), base.path)}\`, which cannot be read as a playbook`;
          return { contents: { kind: "markdown", value: `**extends** ${about}: its definitions are this playbook's too, and this playbook's settings win.` }, range: new Ranges(checked).range(file, base.span) };
        }
        return hover(checked, document, file, offset) ?? null;
      }),
    ),
  );

  connection.onDefinition(
    safely("definition", ({ textDocument, position }) =>
      withDocument(textDocument.uri, (document) => {
        const checked = analyses.get(document);
        const symbol = symbolAt(checked, uriToPath(document.uri), document.offsetAt(position));
        if (symbol?.definition) return definitionLocation(symbol.definition, new Ranges(checked));
        const base = baseAt(checked, uriToPath(document.uri), document.offsetAt(position));
        if (base) return { uri: pathToFileURL(base.path).href, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
        return templateFileAt(checked, uriToPath(document.uri), document.offsetAt(position)) ?? null;
      }),
    ),
  );

  connection.onReferences(
    safely("references", ({ textDocument, position, context }) =>
      withDocument(textDocument.uri, (document) => {
        const checked = analyses.get(document);
        const file = uriToPath(document.uri);
        const symbol = symbolAt(checked, file, document.offsetAt(position));
        if (!symbol) return null;
        const locations = referenceLocations(checked, symbol.kind, symbol.name, new Ranges(checked), context.includeDeclaration);
        // Its bases and the playbooks that extend any of them use it too.
        for (const extender of familyOf(checked, file)) {
          for (const location of referenceLocations(extender.checked, symbol.kind, symbol.name, new Ranges(extender.checked), false)) {
            if (!locations.some((l) => l.uri === location.uri && samePlace(l, location))) locations.push(location);
          }
        }
        return locations;
      }),
    ),
  );

  connection.onPrepareRename(
    safely("prepareRename", ({ textDocument, position }) =>
      withDocument(textDocument.uri, (document) => {
        const checked = analyses.get(document);
        const file = uriToPath(document.uri);
        const symbol = symbolAt(checked, file, document.offsetAt(position));
        if (!symbol || !canRename(symbol.kind)) return null;
        const source = new SourceFile(file, document.getText());
        return { range: source.rangeOf(bareNameSpan(source.text, symbol.span, symbol.name)), placeholder: symbol.name };
      }),
    ),
  );

  connection.onRenameRequest(
    safely("rename", ({ textDocument, position, newName }) =>
      withDocument(textDocument.uri, (document) => {
        const checked = analyses.get(document);
        const symbol = symbolAt(checked, uriToPath(document.uri), document.offsetAt(position));
        if (!symbol) return null;
        // The bases, and every playbook that extends one of them, follow the rename; the new name must be free in each.
        const family = familyOf(checked, uriToPath(document.uri), symbol.kind);
        for (const member of [{ checked, file: uriToPath(document.uri) }, ...family]) {
          const refusal = renameRefusal(member.checked, symbol.kind, symbol.name, newName);
          if (refusal) throw new ResponseError(ErrorCodes.InvalidParams, member.checked === checked ? refusal : `${refusal} (in ${relative(dirname(uriToPath(document.uri)), member.file)}, which shares a file with this playbook)`);
        }
        const edit = renameEdits(checked, symbol.kind, symbol.name, newName, new Ranges(checked));
        if (!edit) return null;
        for (const member of family) {
          const theirs = renameEdits(member.checked, symbol.kind, symbol.name, newName, new Ranges(member.checked));
          // A file two playbooks share (their base) gets the union of what each check found in it, each place once.
          for (const [uri, edits] of Object.entries(theirs?.changes ?? {})) {
            const ours = (edit.changes![uri] ??= []);
            for (const e of edits) if (!ours.some((o) => samePlace(o, e))) ours.push(e);
          }
        }
        return edit;
      }),
    ),
  );

  connection.onWorkspaceSymbol(
    safely("workspaceSymbol", ({ query }) => {
      const results: SymbolInformation[] = [];
      for (const { file, checked } of workspacePlaybooks()) results.push(...workspaceSymbols(checked, file, query));
      return results.slice(0, 1000);
    }),
  );

  connection.onDocumentSymbol(safely("documentSymbol", ({ textDocument }) => withDocument(textDocument.uri, (document) => documentSymbols(analyses.get(document), uriToPath(document.uri)))));

  connection.onDocumentFormatting(
    safely("formatting", ({ textDocument }) =>
      withDocument(textDocument.uri, (document) => {
        if (!document.uri.endsWith(".play")) return [];
        const text = document.getText();
        // A playbook with errors is never rewritten: the formatter would print what the checker had to leave out.
        if (analyses.get(document).diagnostics.some((d) => d.severity === "error")) return [];
        const formatted = formatPlay(uriToPath(document.uri), text, analyses.reader);
        if (formatted.text === undefined || formatted.text === text) return [];
        return [{ range: { start: { line: 0, character: 0 }, end: document.positionAt(text.length) }, newText: formatted.text }];
      }),
    ),
  );

  connection.languages.semanticTokens.on(
    safely("semanticTokens", ({ textDocument }) => ({
      data:
        withDocument(textDocument.uri, (document) => {
          const checked = analyses.get(document);
          return semanticTokens(checked, new SourceFile(uriToPath(document.uri), document.getText()));
        }) ?? [],
    }), { data: [] }),
  );

  connection.onSignatureHelp(safely("signatureHelp", ({ textDocument, position }) => withDocument(textDocument.uri, (document) => signatureHelp(document.getText(), document.offsetAt(position)) ?? null)));

  connection.onCodeAction(safely("codeAction", ({ context }) => codeActions(context.diagnostics)));

  connection.languages.inlayHint.on(safely("inlayHint", ({ textDocument }) => withDocument(textDocument.uri, (document) => inlayHints(analyses.get(document), uriToPath(document.uri))) ?? []));

  connection.onCodeLens(
    safely("codeLens", async ({ textDocument }) => {
      const document = documents.get(textDocument.uri);
      if (!document || !isPlaybook(document)) return [];
      const checked = analyses.get(document);
      return previewLenses(checked, uriToPath(document.uri), settings, root, new Ranges(checked), new Date().toISOString().slice(0, 10));
    }, []),
  );

  documents.listen(connection);
  connection.listen();
  return connection;
}
