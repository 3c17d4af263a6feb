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

export interface JsonReporterOptions {
  /** File to write; its folder is created when missing. @default 'reports/results.json' */
  outputFile?: string;
  /** Version written in `mqscen.version`. @default the package version */
  mqscenVersion?: string;
}

export interface ResolvedJsonReporterOptions {
  outputFile: string;
  mqscenVersion: string;
}

const DEFAULTS = { outputFile: 'reports/results.json' } as const;

export function resolveJsonReporterOptions(
  input: JsonReporterOptions = {},
): Readonly<ResolvedJsonReporterOptions> {
  return Object.freeze({
    outputFile: input.outputFile ?? DEFAULTS.outputFile,
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
    outputFile: options.outputFile,
    async onRunEnd(summary: RunSummary, reason: RunEndReason) {
      const text = formatResultsJson(summary, reason, options);
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

/** Oracle data is meant to be plain, but a Map, a byte array or a bigint must not break the file. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  if (value instanceof Uint8Array) return { base64: Buffer.from(value).toString('base64') };
  return value;
}
