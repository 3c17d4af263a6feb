/**
 * The one error hierarchy of mqscen. Every error a user can cause carries a stable `code`
 * and maps to one exit code (see EXIT_CODES). Only `cli/main.ts` turns them into an exit.
 */

/** Exit codes, documented in the README ("Exit codes"). */
export const EXIT_CODES = {
  /** Every scenario passed. */
  passed: 0,
  /** At least one assertion failed. (An interrupted run exits 130, see runner/cli/run-command.ts.) */
  failed: 1,
  /** Usage error, unreadable/invalid scenario or targets file. */
  invalidInput: 2,
  /** Environment: broker unreachable, TLS, certificates, credentials, missing binary. */
  environment: 3,
  /** A bug in mqscen. */
  internal: 4,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** One problem found in an input file, printed as `file:line:column  path  message`. */
export interface Issue {
  /** Path of the file as the user gave it (relative paths stay relative). */
  file: string;
  /** 1-based line, when known. */
  line?: number;
  /** 1-based column, when known. */
  column?: number;
  /** Dotted path inside the document, e.g. `steps[3].disconnect.clients`; empty for the whole file. */
  path: string;
  /** What is wrong and how to fix it, in one sentence. */
  message: string;
  severity: 'error' | 'warning';
}

export interface MqscenErrorOptions {
  cause?: unknown;
  /** A line telling the user how to fix it, printed after the message. */
  hint?: string;
}

export class MqscenError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(code: string, exitCode: ExitCode, message: string, options: MqscenErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.hint = options.hint;
  }
}

/** Bad command line: unknown flag, missing argument, conflicting options. Exit 2. */
export class UsageError extends MqscenError {
  constructor(message: string, options?: MqscenErrorOptions) {
    super('E_USAGE', EXIT_CODES.invalidInput, message, options);
  }
}

/** A scenario or targets file that cannot be used; carries every issue found. Exit 2. */
export class ScenarioError extends MqscenError {
  readonly issues: readonly Issue[];
  constructor(message: string, issues: readonly Issue[], options?: MqscenErrorOptions) {
    super('E_SCENARIO', EXIT_CODES.invalidInput, message, options);
    this.issues = issues;
  }
}

export interface TransportErrorOptions extends MqscenErrorOptions {
  /** Transport name as in the registry, e.g. `mqttjs`. */
  transport: string;
  /** MQTT reason code (MQTT 5) or CONNACK return code (3.1.1), when the broker sent one. */
  reasonCode?: number;
  /** Text for `reasonCode`, from the one reason-code table (runner/transports/reason-codes.ts). */
  reasonText?: string;
}

/** The broker could not be reached or refused us (network, TLS, credentials). Exit 3. */
export class TransportError extends MqscenError {
  readonly transport: string;
  readonly reasonCode: number | undefined;
  readonly reasonText: string | undefined;
  constructor(message: string, options: TransportErrorOptions) {
    super('E_TRANSPORT', EXIT_CODES.environment, message, options);
    this.transport = options.transport;
    this.reasonCode = options.reasonCode;
    this.reasonText = options.reasonText;
  }
}

/** A target could not be prepared: missing mosquitto binary, bad certificate file, port in use. Exit 3. */
export class EnvironmentError extends MqscenError {
  constructor(message: string, options?: MqscenErrorOptions) {
    super('E_ENVIRONMENT', EXIT_CODES.environment, message, options);
  }
}

/** The embedded broker failed (not a client's fault). Exit 3. */
export class BrokerError extends MqscenError {
  constructor(message: string, options?: MqscenErrorOptions) {
    super('E_BROKER', EXIT_CODES.environment, message, options);
  }
}

/** A bug in mqscen: printed with its stack and a request for a bug report. Exit 4. */
export class InternalError extends MqscenError {
  constructor(message: string, options?: MqscenErrorOptions) {
    super('E_INTERNAL', EXIT_CODES.internal, message, options);
  }
}

/**
 * How a step of a running scenario failed, and so whose side the problem is on:
 * - `no-answer`: the broker never answered (no CONNACK, SUBACK, UNSUBACK or PUBACK within its bound
 *   or before the scenario deadline). Exit 3.
 * - `connection-lost`: a connection the scenario did not close ended (broker killed, network, or a
 *   DISCONNECT the scenario did not declare as expected). Exit 3.
 * - `refused`: the broker answered, but refused a SUBSCRIBE or PUBLISH the scenario did not declare
 *   as expected (a `reason-code` assertion naming that code). Exit 1.
 * - `not-connected`: a step acted for a client that was not connected. Exit 1.
 */
export type StepFailureKind =
  | 'no-answer'
  | 'connection-lost'
  | 'refused'
  | 'not-connected'
  | 'trigger-not-met'
  | 'wrong-disconnect';

const STEP_FAILURES: Readonly<Record<StepFailureKind, { code: string; exitCode: ExitCode }>> = {
  'no-answer': { code: 'E_NO_ANSWER', exitCode: EXIT_CODES.environment },
  'connection-lost': { code: 'E_CONNECTION_LOST', exitCode: EXIT_CODES.environment },
  refused: { code: 'E_REFUSED', exitCode: EXIT_CODES.failed },
  'not-connected': { code: 'E_NOT_CONNECTED', exitCode: EXIT_CODES.failed },
  // A step's `after:` count was never reached (the burst ended short of it).
  'trigger-not-met': { code: 'E_TRIGGER_NOT_MET', exitCode: EXIT_CODES.failed },
  // The broker closed a connection otherwise than the protocol requires (a takeover without 0x8E).
  'wrong-disconnect': { code: 'E_WRONG_DISCONNECT', exitCode: EXIT_CODES.failed },
};

/** A step that failed: the scenario ends as an error naming the step and the cause. */
export class StepError extends MqscenError {
  readonly kind: StepFailureKind;
  constructor(kind: StepFailureKind, message: string, options?: MqscenErrorOptions) {
    const row = STEP_FAILURES[kind];
    super(row.code, row.exitCode, message, options);
    this.kind = kind;
  }
}

/** Formats one issue the way every command prints it. */
export function formatIssue(issue: Issue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.column ?? 1}`;
  const path = issue.path === '' ? '' : `  ${issue.path}`;
  const sev = issue.severity === 'warning' ? '  warning:' : '';
  return `${where}${path}${sev}  ${issue.message}`;
}
