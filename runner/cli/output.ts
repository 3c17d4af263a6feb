/**
 * How the CLI prints errors: user mistakes as one or more clear lines (no stack), internal errors
 * with the stack and a request for a bug report. Returns the exit code for the error.
 */
import { EXIT_CODES, formatIssue, MqscenError, ScenarioError, UsageError } from '../errors.js';

function causeText(error: unknown): string | undefined {
  if (!(error instanceof Error) || error.cause === undefined) return undefined;
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    // Node's own messages already start with the code ("ENOENT: no such file…"): say it once.
    return code && !cause.message.startsWith(code) ? `${code}: ${cause.message}` : cause.message;
  }
  return String(cause);
}

/** The command whose help a usage mistake points to (`mqscen run --help`); set by main.ts. */
let usageCommand = 'mqscen';

export function setUsageCommand(command: string): void {
  usageCommand = command;
}

export function printError(error: unknown): number {
  if (error instanceof ScenarioError) {
    for (const issue of error.issues) process.stderr.write(`${formatIssue(issue)}\n`);
    process.stderr.write(`${error.message}\n`);
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    return error.exitCode;
  }
  if (error instanceof MqscenError && error.exitCode !== EXIT_CODES.internal) {
    process.stderr.write(`mqscen: ${error.message}\n`);
    const cause = causeText(error);
    const causeMessage = error.cause instanceof Error ? error.cause.message : cause;
    // A cause the message already quotes adds nothing but noise.
    if (cause && causeMessage && !error.message.includes(causeMessage)) {
      process.stderr.write(`  cause: ${cause}\n`);
    }
    if (error.hint) process.stderr.write(`  hint: ${error.hint}\n`);
    if (error instanceof UsageError) process.stderr.write(`  (run \`${usageCommand} --help\` for usage)\n`);
    return error.exitCode;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(
    `mqscen: internal error (this is a bug in mqscen, please report it with the output below)\n${stack}\n`,
  );
  return EXIT_CODES.internal;
}
