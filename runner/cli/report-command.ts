/**
 * `mqscen report results.json [--html PATH]`: renders the HTML report of an earlier run from its
 * JSON results (the same page `run --html` writes), e.g. for results copied out of CI.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EnvironmentError, EXIT_CODES, UsageError } from '../errors.js';
import type { ResultsDocument } from '../reporters/json.js';

export interface ReportCommandOptions {
  /** Output file. @default report.html beside the results file */
  html?: string;
}

export async function reportCommand(file: string, opts: ReportCommandOptions): Promise<number> {
  const info = await stat(file).catch(() => undefined);
  if (info !== undefined && !info.isFile()) {
    // A pipe or device would block the read; a folder is a mistake worth naming.
    throw new UsageError(`${file} is not a regular file`, {
      hint: 'give the results.json a run wrote (mqscen run … --json PATH; default reports/results.json)',
    });
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${file}${code ? ` (${code})` : ''}`, {
      cause: error,
      hint: 'give the results.json a run wrote (mqscen run … --json PATH; default reports/results.json)',
    });
  }
  const doc = parseResults(file, text);
  const out = opts.html ?? join(dirname(file), 'report.html');
  const { renderHtmlReport } = await import('../reporters/html.js');
  const { writeReportFile } = await import('../reporters/_report-file.js');
  try {
    await writeReportFile(out, renderHtmlReport(doc));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new EnvironmentError(`cannot write the HTML report to ${out}${code ? ` (${code})` : ''}`, {
      cause: error,
      hint: 'choose a writable path with --html PATH',
    });
  }
  process.stdout.write(`${out}\n`);
  return EXIT_CODES.passed;
}

/** The document, checked enough that rendering cannot trip over a file that is not results. */
export function parseResults(file: string, text: string): ResultsDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const doc = value as Partial<ResultsDocument> | null;
  if (
    doc === null ||
    typeof doc !== 'object' ||
    typeof doc.schemaVersion !== 'number' ||
    !Array.isArray(doc.scenarios) ||
    typeof doc.mqscen?.version !== 'string'
  ) {
    throw new UsageError(
      `${file} is not an mqscen results file (no schemaVersion, mqscen.version and scenarios)`,
      {
        hint: 'give the results.json a run wrote (mqscen run … --json PATH; default reports/results.json)',
      },
    );
  }
  return doc as ResultsDocument;
}
