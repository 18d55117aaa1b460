import { SMTPServer } from "smtp-server";

/**
 * An SMTP server on 127.0.0.1 that accepts and counts every message, in its
 * own process so it does not share the sender's event loop. Prints its port,
 * then the count whenever asked with a line on standard input.
 */
let count = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS", "AUTH"],
  logger: false,
  onData(stream, _session, callback) {
    stream.on("data", () => undefined);
    stream.on("end", () => {
      count++;
      callback();
    });
  },
});
server.on("error", () => undefined);
server.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ port: (server.server.address() as { port: number }).port }));
});
process.stdin.on("data", () => console.log(JSON.stringify({ count })));
