// Which command starts the language server for a workspace. Only the
// workspace's own installation: a bare `npx touchline` would download and
// run whatever package of that name the registry serves when the workspace
// has none.
const { existsSync } = require("node:fs");
const { dirname, join } = require("node:path");

const INSTALL_HINT = "npm install --save-dev touchline";

/**
 * The command for a workspace folder: the user's setting when there is one,
 * else the nearest node_modules/.bin/touchline at or above the folder.
 * Returns { command, args } or { missing: message }.
 */
function serverCommand(folder, configured, platform = process.platform) {
  if (Array.isArray(configured) && configured.length > 0) return { command: configured[0], args: configured.slice(1) };
  const binary = platform === "win32" ? "touchline.cmd" : "touchline";
  for (let dir = folder; dir; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", ".bin", binary);
    if (existsSync(candidate)) return { command: candidate, args: ["lsp", "--stdio"] };
    if (dirname(dir) === dir) break;
  }
  return { missing: `Touchline is not installed in this workspace${folder ? ` (${folder})` : ""}: run \`${INSTALL_HINT}\` there, or set touchline.serverCommand. The extension never runs a package it did not find in node_modules.` };
}

/** Whether a YAML text is a playbook: its first setting is `playbook:` (block or JSON style). */
function looksLikePlaybook(text) {
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*(#.*)?$/.test(line) || /^---/.test(line)) continue;
    return /^\s*\{?\s*["']?playbook["']?\s*:/.test(line);
  }
  return false;
}

module.exports = { serverCommand, looksLikePlaybook, INSTALL_HINT };
