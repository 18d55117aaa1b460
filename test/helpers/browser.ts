import { existsSync } from "node:fs";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"];

/**
 * The system's Chromium, for end-to-end tests of report.html: nothing is
 * downloaded at run time. `TOUCHLINE_CHROMIUM` names another binary.
 */
export function systemChromium(): string {
  const named = process.env.TOUCHLINE_CHROMIUM;
  if (named) {
    if (!existsSync(named)) throw new Error(`TOUCHLINE_CHROMIUM=${named}: no such file`);
    return named;
  }
  const found = CANDIDATES.find((path) => existsSync(path));
  if (!found) throw new Error(`no Chromium found (${CANDIDATES.join(", ")}): install Debian's chromium (apt-get install chromium; npm test does it when run as root) or set TOUCHLINE_CHROMIUM`);
  return found;
}
