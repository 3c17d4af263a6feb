/**
 * `mqscen merge shard-*.json`: one run's shard files → the same JUnit, JSON and HTML reports and
 * exit code as the unsharded run. The set is checked first (one run, one suite, one version, every
 * shard exactly once: runner/engine/shard-file.ts); a set that is not whole is exit 2 and writes
 * no report, so CI never reads a verdict over part of the run.
 */
import { readFile } from 'node:fs/promises';
import { loadSuite } from '../engine/run-suite.js';
import { shardClientRunId, suiteFingerprint } from '../engine/shard.js';
import { checkShardSet, mergeShardSet, parseShardFile, type ShardFile } from '../engine/shard-file.js';
import { UsageError } from '../errors.js';
import { createReporter, createReporterFanOut } from '../reporters/index.js';
import type { Reporter } from '../reporters/reporter.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { expandFileArguments } from './files.js';
import { exitCodeFor, htmlPathFor } from './run-command.js';

export interface MergeCommandOptions {
  junit: string | false;
  junitStrict?: boolean;
  json: string | false;
  html?: string | false;
  reporter?: 'auto' | 'live' | 'plain';
}

export async function mergeCommand(patterns: string[], opts: MergeCommandOptions): Promise<number> {
  if (patterns.length === 0) {
    throw new UsageError('mqscen merge needs the shard files', {
      hint: 'mqscen merge "reports/shard-*.json"',
    });
  }
  const files = await expandFileArguments(patterns);
  const shards: ShardFile[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(`cannot read ${file}${code ? ` (${code})` : ''}`, { cause: error });
    }
    shards.push(parseShardFile(file, text));
  }
  const set = checkShardSet(files, shards);
  const summary = mergeShardSet(set, await clientScenarios(set));

  const reporters: Reporter[] = [await createReporter('plain', { stream: process.stdout })];
  if (opts.junit !== false) {
    reporters.push(
      await createReporter('junit', { outputFile: opts.junit, strict: opts.junitStrict === true }),
    );
  }
  if (opts.json !== false) reporters.push(await createReporter('json', { outputFile: opts.json }));
  const htmlFile = htmlPathFor(opts);
  if (htmlFile !== undefined) reporters.push(await createReporter('html', { outputFile: htmlFile }));
  const fanOut = createReporterFanOut(reporters);
  for (const result of summary.scenarios) await fanOut.onScenarioEnd?.(result);
  const failures = await fanOut.onRunEnd(summary, summary.reason);
  const code = exitCodeFor(summary);
  let missing = false;
  for (const f of failures) {
    if (f.outputFile === undefined) continue;
    missing = true;
    process.stderr.write(`mqscen: ${f.reporter} report not written to ${f.outputFile}: ${f.message}\n`);
  }
  const first = shards[0] as ShardFile;
  process.stderr.write(
    `mqscen: merged ${shards.length} shard${shards.length === 1 ? '' : 's'} of run ${first.run.id}: ${summary.passed} passed, ${summary.failed} failed, ${summary.errored} errored\n`,
  );
  return missing && code <= 1 ? 3 : code;
}

/**
 * The scenarios split by clients: every shard ran them for part of the clients, so the merge judges
 * them again over the replay of every shard's journal. That needs the scenarios themselves: they
 * are loaded from the paths the shards ran (run the merge in the same checkout or image), and the
 * files must be byte for byte the ones the shards ran (the selection's fingerprint).
 */
async function clientScenarios(set: ReturnType<typeof checkShardSet>): Promise<ResolvedScenario[]> {
  const run = (set[0] as { shard: ShardFile }).shard.run;
  const split = run.scenarios.filter((s) => s.by === 'clients');
  if (split.length === 0) return [];
  const vars = run.vars ?? {};
  const contents = await Promise.all(
    run.scenarios.map(async (s) => ({
      ...s,
      content: await readFile(s.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new UsageError(
          `${s.file}: the merge of client shards needs the scenario files the shards ran, and this one cannot be read (${error.code ?? error.message})`,
          { hint: 'run mqscen merge in the directory (checkout or image) the shards ran in' },
        );
      }),
    })),
  );
  if (suiteFingerprint({ scenarios: contents, vars, total: run.total, by: run.by }) !== run.fingerprint) {
    throw new UsageError(
      'the scenario files here are not the ones the shards ran (their contents or the --var values differ)',
      { hint: 'run mqscen merge in the checkout or image the shards ran, at the same revision' },
    );
  }
  const paths = [...new Set(split.map((s) => s.file))];
  const loaded = await loadSuite(paths, { vars, env: process.env, runId: shardClientRunId(run.id) });
  if (!loaded.ok) {
    throw new UsageError(
      `the scenarios of the run do not load here: ${loaded.issues.map((i) => i.message).join('; ')}`,
    );
  }
  return loaded.scenarios;
}
