import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { SMTPServer } from "smtp-server";

/**
 * A catch-all SMTP server on 127.0.0.1 for trying `touchline run --send`
 * without sending anything anywhere: every message it accepts is written to
 * a folder as an .eml file (open it in a mail client or a text editor).
 *
 *   node dist/scripts/local-smtp.js [--port 2525] [--out outbox-mail]
 *   TOUCHLINE_SMTP_URL=smtp://127.0.0.1:2525 TOUCHLINE_UNSUBSCRIBE_SECRET=... npx touchline run examples/saas-b2b --as-of 2026-03-01 --send
 */
if (process.argv.includes("--help") || process.argv.includes("-h")) {
  console.log("usage: node dist/scripts/local-smtp.js [--port 2525] [--out outbox-mail]\nA catch-all SMTP server on 127.0.0.1: each message it accepts is written to the folder as an .eml file.");
  process.exit(0);
}
const option = (name: string, fallback: string) => {
  const index = process.argv.indexOf(name);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1]! : fallback;
};
const port = Number(option("--port", "2525"));
const out = resolve(option("--out", "outbox-mail"));
mkdirSync(out, { recursive: true });
let count = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS", "AUTH"],
  logger: false,
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      count++;
      const to = session.envelope.rcptTo.map((r) => r.address).join(",");
      writeFileSync(join(out, `${String(count).padStart(6, "0")}-${to.replace(/[^A-Za-z0-9@._-]/g, "_")}.eml`), Buffer.concat(chunks));
      if (count % 100 === 0) process.stdout.write(`\r${count} messages caught`);
      callback();
    });
  },
});
server.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EADDRINUSE") {
    console.error(`port ${port} is in use (another local-smtp?): choose another with --port`);
    process.exit(1);
  }
  // A client that went away in the middle of a message: the next one is served as usual.
  if (error.code !== "ECONNRESET" && error.code !== "EPIPE") console.error(`warning: ${error.message}`);
});
server.listen(port, "127.0.0.1", () => console.log(`Catching mail on smtp://127.0.0.1:${port}; messages go to ${out} (Ctrl-C to stop)`));
process.on("SIGINT", () => {
  console.log(`\n${count} messages caught in ${out}`);
  process.exit(0);
});
