import { afterEach } from "vitest";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";

export interface ReceivedMail {
  raw: string;
  parsed: ParsedMail;
  messageId: string;
  to: string;
  /** when the server had the whole message (ms) */
  receivedAt: number;
}

export interface TestSmtpOptions {
  /** decides, per message (1-based count of DATA commands), what the server answers: accept, a 4xx or 5xx code, or drop the connection */
  answer?: (count: number, to: string) => "accept" | 421 | 451 | 550 | 554;
  /** offer AUTH and refuse every login */
  refuseLogin?: boolean;
}

/**
 * A real SMTP server on 127.0.0.1 (smtp-server), for tests: it keeps every
 * message it accepted, parsed with mailparser, and can refuse or defer or
 * drop messages on demand.
 */
export class TestSmtpServer {
  readonly received: ReceivedMail[] = [];
  /** errors of the server itself, other than clients that went away */
  readonly errors: Error[] = [];
  private server: SMTPServer;
  private count = 0;
  port = 0;

  constructor(private readonly options: TestSmtpOptions = {}) {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: options.refuseLogin ? ["STARTTLS"] : ["STARTTLS", "AUTH"],
      allowInsecureAuth: true,
      onAuth: (_auth, _session, callback) => callback(new Error("invalid credentials")),
      logger: false,
      onData: (stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null) => void) => {
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => {
          this.count++;
          const to = session.envelope.rcptTo.map((r) => r.address).join(",");
          const answer = this.options.answer?.(this.count, to) ?? "accept";
          if (answer !== "accept") {
            const error = new Error(answer >= 500 ? "mailbox unavailable" : "try again later") as Error & { responseCode: number };
            error.responseCode = answer;
            callback(error);
            return;
          }
          const raw = Buffer.concat(chunks).toString("utf8");
          const receivedAt = Date.now();
          void simpleParser(raw).then((parsed) => {
            this.received.push({ raw, parsed, messageId: parsed.messageId ?? "", to, receivedAt });
            callback();
          }, callback);
        });
      },
    });
  }

  async start(port = 0): Promise<number> {
    // A client killed in the middle of a message (the crash test) resets its connection: that is the client's story, not an error here.
    this.server.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "ECONNRESET" && error.code !== "EPIPE") this.errors.push(error);
    });
    await new Promise<void>((resolve) => this.server.listen(port, "127.0.0.1", resolve));
    this.port = (this.server.server.address() as { port: number }).port;
    return this.port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }
}

/** A server that accepts TCP connections and drops each at once: an SMTP server that is there but broken. */
export async function startDroppingServer(): Promise<{ port: number; connections: () => number; stop: () => Promise<void> }> {
  const { createServer } = await import("node:net");
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as { port: number }).port, connections: () => connections, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Starts test SMTP servers for a test file; each is stopped after the test that started it. Call at the top of the file. */
export function smtpServersPerTest(): (options?: TestSmtpOptions) => Promise<TestSmtpServer> {
  const running: TestSmtpServer[] = [];
  afterEach(async () => {
    for (const server of running.splice(0)) await server.stop();
  });
  return async (options = {}) => {
    const server = new TestSmtpServer(options);
    await server.start();
    running.push(server);
    return server;
  };
}
