#!/usr/bin/env node
// A reader that stops early (`touchline run ... | head`) closes the pipe: end quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error && error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const { main } = await import("../dist/src/cli/main.js");
process.exitCode = await main(process.argv.slice(2));
