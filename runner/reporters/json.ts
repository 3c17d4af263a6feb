/**
 * JSON reporter: the RunSummary, everything the oracle knows included, as pretty JSON with a
 * schema version, so scripts can compare runs and brokers. Written in onRunEnd, on Ctrl+C too.
 */
import createDebug from 'debug';
import type { RunEndReason, RunSummary } from '../results.js';
import { publicTarget, readMqscenVersion } from './_format.js';
import { writeReportFile } from './_report-file.js';
import type { NamedReporter } from './index.js';

const debug = createDebug('mqscen:reporters:json');

/** Bumped when a field of the file changes meaning or disappears (adding fields does not bump it). */
export const RESULTS_SCHEMA_VERSION = 1;

/** A writable such as process.stdout: calls back once the text is taken. */
export interface JsonSink {
  write(text: string, callback: (err?: Error | null) => void): unknown;
}

export interface JsonReporterOptions {
  /** File to write; its folder is created when missing. @default 'reports/results.json' */
  outputFile?: string;
  /** Write the JSON to this stream instead of a file (`--json -`: stdout). */
  stream?: JsonSink;
  /** Version written in `mqscen.version`. @default the package version */
  mqscenVersion?: string;
}

export interface ResolvedJsonReporterOptions {
  outputFile: string;
  stream: JsonSink | undefined;
  mqscenVersion: string;
}

const DEFAULTS = { outputFile: 'reports/results.json' } as const;

export function resolveJsonReporterOptions(
  input: JsonReporterOptions = {},
): Readonly<ResolvedJsonReporterOptions> {
  return Object.freeze({
    outputFile: input.outputFile ?? DEFAULTS.outputFile,
    stream: 'stream' in input ? input.stream : undefined,
    mqscenVersion: input.mqscenVersion ?? readMqscenVersion(),
  });
}

/** What the file contains: the summary plus where it came from. */
export interface ResultsDocument extends RunSummary {
  schemaVersion: number;
  mqscen: { version: string };
}

export function createJsonReporter(input?: JsonReporterOptions): NamedReporter {
  const options = resolveJsonReporterOptions(input);
  return {
    name: 'json',
    // Written to a stream (`--json -`: stdout), the results have no file to name in a failure.
    outputFile: options.stream === undefined ? options.outputFile : 'standard output',
    async onRunEnd(summary: RunSummary, reason: RunEndReason) {
      const text = formatResultsJson(summary, reason, options);
      if (options.stream !== undefined) {
        await writeToStream(options.stream, text);
        debug('wrote the results to a stream (reason %s)', reason);
        return;
      }
      await writeReportFile(options.outputFile, text);
      debug('wrote %s (reason %s)', options.outputFile, reason);
    },
  };
}

/** The JSON text for a run: the summary with `schemaVersion` and `mqscen.version` first. */
export function formatResultsJson(
  summary: RunSummary,
  reason: RunEndReason,
  input: JsonReporterOptions | Readonly<ResolvedJsonReporterOptions> = {},
): string {
  const options = resolveJsonReporterOptions(input);
  const doc: ResultsDocument = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    mqscen: { version: options.mqscenVersion },
    ...summary,
    reason,
    // Targets promise secret-free URLs; the file is uploaded by CI, so it is checked again here.
    scenarios: summary.scenarios.map((s) => ({ ...s, target: publicTarget(s.target) })),
  };
  return `${JSON.stringify(doc, jsonReplacer, 2)}\n`;
}

// --- internal ---

/** Resolves once the stream has taken the text (a pipe may take it in several writes). */
function writeToStream(stream: JsonSink, text: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    stream.write(text, (err) => (err ? reject(err) : resolvePromise()));
  });
}

/** Oracle data is meant to be plain, but a Map, a byte array or a bigint must not break the file. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  if (value instanceof Uint8Array) return { base64: Buffer.from(value).toString('base64') };
  return value;
}
