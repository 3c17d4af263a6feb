/**
 * Shard files: what one shard of a run writes (`mqscen run --shard i/n`) and `mqscen merge` reads.
 * A compact, versioned JSON document: the run it belongs to (id, suite fingerprint, the whole
 * selection, shard count and mode), which shard it is, and its part of the results.
 *
 * The merge refuses anything that is not exactly one run's complete set: another format version,
 * another mqscen version, another run id or suite, a shard twice, a shard missing, or a shard whose
 * scenarios are not the ones the partition gives it. A missing shard is never a smaller passing
 * run (the product's worst defect is a verdict that is wrong, not one that is late).
 */
import { UsageError } from '../errors.js';
import type { RunEndReason, RunSummary, ScenarioResult } from '../results.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { type PartitionItem, partitionByFiles, type ShardBy, shardLabel, sortForPartition } from './shard.js';
import { encodedHistogramCount } from './shard-histograms.js';
import type { ScenarioJournal } from './shard-journal.js';
import { mergeClientScenario } from './shard-merge-clients.js';

export const SHARD_FILE_FORMAT = 'mqscen-shard';
/** Bumped when a field changes meaning; the merge only reads its own version (2: client shards). */
export const SHARD_FILE_VERSION = 2;

export interface ShardFile {
  format: typeof SHARD_FILE_FORMAT;
  formatVersion: number;
  mqscen: { version: string };
  run: {
    id: string;
    /** suiteFingerprint(): files, names, contents, variables, shard count and mode. */
    fingerprint: string;
    by: ShardBy;
    total: number;
    /** The whole selection, in partition order; `by: clients` marks a scenario every shard ran. */
    scenarios: Array<PartitionItem & { by?: 'clients' }>;
    /** `--var` values: the merge of client shards loads the scenarios again with them. */
    vars?: Record<string, string>;
  };
  shard: { index: number; total: number };
  startedAt: string;
  durationMs: number;
  reason: RunEndReason;
  /** This shard's results, the whole record of each (a scenario's record lives in one shard). */
  scenarios: ScenarioResult[];
  /** Each scenario's latency histogram (µs), HDR standard encoding (compressed, base64). */
  histograms: Array<{ file: string; name: string; latencyUs: string }>;
  /** Client shards: each scenario's journal, which the merge replays with the other shards'. */
  journals?: ScenarioJournal[];
}

export function buildShardFile(input: {
  version: string;
  runId: string;
  fingerprint: string;
  by: ShardBy;
  index: number;
  total: number;
  selection: ReadonlyArray<PartitionItem & { by?: 'clients' }>;
  summary: RunSummary;
  histograms?: ShardFile['histograms'];
  journals?: ScenarioJournal[];
  vars?: Record<string, string>;
}): ShardFile {
  return {
    format: SHARD_FILE_FORMAT,
    formatVersion: SHARD_FILE_VERSION,
    mqscen: { version: input.version },
    run: {
      id: input.runId,
      fingerprint: input.fingerprint,
      by: input.by,
      total: input.total,
      scenarios: input.selection.map((s) => ({
        file: s.file,
        name: s.name,
        ...(s.by === 'clients' ? { by: s.by } : {}),
      })),
      ...(input.vars === undefined ? {} : { vars: input.vars }),
    },
    shard: { index: input.index, total: input.total },
    startedAt: input.summary.startedAt,
    durationMs: input.summary.durationMs,
    reason: input.summary.reason,
    scenarios: input.summary.scenarios,
    histograms: input.histograms ?? [],
    ...(input.journals === undefined ? {} : { journals: input.journals }),
  };
}

/** One shard file's text, checked enough that the merge cannot trip over something else. */
export function parseShardFile(file: string, text: string): ShardFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const doc = value as Partial<ShardFile> | null;
  if (doc === null || typeof doc !== 'object' || doc.format !== SHARD_FILE_FORMAT) {
    throw new UsageError(`${file} is not an mqscen shard file`, {
      hint: 'give the shard-*.json files that `mqscen run --shard i/n` wrote (not results.json)',
    });
  }
  if (doc.formatVersion !== SHARD_FILE_VERSION) {
    throw new UsageError(
      `${file} is a shard file of format version ${String(doc.formatVersion)}; this mqscen reads version ${SHARD_FILE_VERSION}`,
      { hint: 'merge with the mqscen version that ran the shards' },
    );
  }
  const ok =
    typeof doc.mqscen?.version === 'string' &&
    typeof doc.run?.id === 'string' &&
    typeof doc.run.fingerprint === 'string' &&
    Array.isArray(doc.run.scenarios) &&
    Number.isInteger(doc.shard?.index) &&
    Number.isInteger(doc.shard?.total) &&
    Array.isArray(doc.scenarios) &&
    Array.isArray(doc.histograms) &&
    typeof doc.startedAt === 'string';
  if (!ok) throw new UsageError(`${file} is a damaged shard file (fields missing)`);
  if (doc.run?.scenarios?.some((x) => x.by === 'clients') === true && !Array.isArray(doc.journals))
    throw new UsageError(`${file} is a damaged shard file (a client shard without its journals)`);
  return doc as ShardFile;
}

/**
 * The shards of a complete set by index (`result[k]` is shard index k, with the file it was read
 * from), or a UsageError saying what is wrong with the set. `files[i]` is where `shards[i]` was read.
 */
export function checkShardSet(
  files: readonly string[],
  shards: readonly ShardFile[],
): Array<{ file: string; shard: ShardFile }> {
  if (shards.length === 0) throw new UsageError('no shard files to merge');
  const first = shards[0] as ShardFile;
  const firstFile = files[0] as string;
  for (let i = 1; i < shards.length; i++) {
    const s = shards[i] as ShardFile;
    const f = files[i] as string;
    const differs = (what: string, a: string, b: string): never => {
      throw new UsageError(`${f} and ${firstFile} are shards of different ${what} (${b} vs ${a})`, {
        hint: 'merge only the shard files of one run (same mqscen version, scenarios, variables and shard count)',
      });
    };
    if (s.mqscen.version !== first.mqscen.version)
      differs('mqscen versions', first.mqscen.version, s.mqscen.version);
    if (s.run.id !== first.run.id) differs('runs', first.run.id, s.run.id);
    if (s.run.total !== first.run.total)
      differs('shard counts', String(first.run.total), String(s.run.total));
    if (s.run.by !== first.run.by) differs('shard modes', first.run.by, s.run.by);
    if (s.run.fingerprint !== first.run.fingerprint) {
      differs('scenario selections', first.run.fingerprint.slice(0, 12), s.run.fingerprint.slice(0, 12));
    }
  }
  const total = first.run.total;
  const byIndex = new Map<number, number>();
  for (let i = 0; i < shards.length; i++) {
    const s = shards[i] as ShardFile;
    if (s.shard.total !== total || s.shard.index < 0 || s.shard.index >= total) {
      throw new UsageError(
        `${files[i]} says it is shard index ${s.shard.index} of ${s.shard.total} in a run of ${total}`,
      );
    }
    const seen = byIndex.get(s.shard.index);
    if (seen !== undefined) {
      throw new UsageError(
        `${files[seen]} and ${files[i]} are both ${shardLabel(s.shard)} (index ${s.shard.index})`,
        {
          hint: 'a shard that ran twice published twice: merge the files of one attempt only',
        },
      );
    }
    byIndex.set(s.shard.index, i);
  }
  const missing: number[] = [];
  for (let k = 0; k < total; k++) if (!byIndex.has(k)) missing.push(k);
  if (missing.length > 0) {
    const names = missing.map((k) => `${shardLabel({ index: k, total })} (index ${k})`);
    throw new UsageError(
      `incomplete set of shards: ${names.join(', ')} of run ${first.run.id} ${missing.length === 1 ? 'is' : 'are'} missing; no verdict without every shard`,
      {
        hint: 'a shard that was killed or failed before writing its file fails the run: rerun the whole run, or find the missing shard file',
      },
    );
  }

  return Array.from({ length: total }, (_, k) => {
    const at = byIndex.get(k) as number;
    return { file: files[at] as string, shard: shards[at] as ShardFile };
  });
}

/**
 * The merged run summary of a complete set of shards, or a UsageError saying what is wrong with
 * the set. `files[i]` is where `shards[i]` was read (for messages). A whole-file scenario's result
 * is its shard's; a scenario split by clients is judged again over every shard's journal, which
 * needs the scenario itself (`clientScenarios`, loaded again by the merge command).
 */
export function mergeShardFiles(
  files: readonly string[],
  shards: readonly ShardFile[],
  clientScenarios: readonly ResolvedScenario[] = [],
): RunSummary {
  return mergeShardSet(checkShardSet(files, shards), clientScenarios);
}

/** mergeShardFiles over a set checkShardSet already checked (`set[k]` is shard index k). */
export function mergeShardSet(
  set: ReturnType<typeof checkShardSet>,
  clientScenarios: readonly ResolvedScenario[] = [],
): RunSummary {
  const total = set.length;
  const first = (set[0] as { shard: ShardFile }).shard;
  const whole = first.run.scenarios.filter((x) => x.by !== 'clients');
  const split = new Set(first.run.scenarios.filter((x) => x.by === 'clients').map(key));
  // Each shard must hold the whole-file scenarios the partition gives it: a shard of another
  // selection, or results edited by hand, never slip into the verdict.
  const ownerOf = new Map<string, number>();
  let interrupted = false;
  for (let k = 0; k < total; k++) {
    const { file: at, shard: s } = set[k] as { file: string; shard: ShardFile };
    if (s.reason === 'interrupted') interrupted = true;
    for (const item of partitionByFiles(whole, { index: k, total })) ownerOf.set(key(item), k);
    for (const r of s.scenarios) {
      if (!split.has(key(r)) && ownerOf.get(key(r)) !== k) {
        throw new UsageError(
          `${at}: ${shardLabel(s.shard)} holds "${r.name}" (${r.file}), which the partition gives to another shard`,
        );
      }
    }
    // The histograms must agree with the summaries they came with (a truncated or edited file).
    for (const h of s.histograms) {
      const r = s.scenarios.find((x) => x.file === h.file && x.name === h.name);
      let count: number | undefined;
      try {
        count = encodedHistogramCount(h.latencyUs);
      } catch {
        count = undefined;
      }
      if (r === undefined || count !== (r.latency?.count ?? 0)) {
        throw new UsageError(
          `${at} is a damaged shard file: the latency histogram of "${h.name}" does not match its results`,
        );
      }
    }
  }
  const scenarios: ScenarioResult[] = [];
  for (const item of sortForPartition(first.run.scenarios)) {
    if (item.by === 'clients') {
      const scenario = clientScenarios.find((x) => key(x) === key(item));
      if (scenario === undefined)
        throw new UsageError(`${item.file}: scenario "${item.name}" was not loaded for the merge`);
      const r = mergeClientScenario(
        scenario,
        set.map(({ shard }) => ({ results: shard.scenarios, journals: shard.journals ?? [] })),
      );
      if (r !== undefined) scenarios.push(r);
      continue;
    }
    // A scenario left out (a --bail shard) is left out of the merge too, as in an unsharded --bail run.
    const r = set[ownerOf.get(key(item)) ?? -1]?.shard.scenarios.find((x) => key(x) === key(item));
    if (r !== undefined) scenarios.push(r);
  }
  return summarizeShards(
    set.map((x) => x.shard),
    scenarios,
    interrupted,
  );
}

/** The run summary of merged scenario results: the run spans every shard's. */
export function summarizeShards(
  shards: readonly ShardFile[],
  scenarios: ScenarioResult[],
  interrupted: boolean,
): RunSummary {
  const starts = shards.map((s) => Date.parse(s.startedAt));
  const ends = shards.map((s) => Date.parse(s.startedAt) + s.durationMs);
  const startedAt = Math.min(...starts);
  const reason: RunEndReason = interrupted
    ? 'interrupted'
    : scenarios.every((r) => r.status === 'passed')
      ? 'passed'
      : 'failed';
  return {
    startedAt: new Date(startedAt).toISOString(),
    durationMs: Math.max(...ends) - startedAt,
    scenarios,
    passed: scenarios.filter((r) => r.status === 'passed').length,
    failed: scenarios.filter((r) => r.status === 'failed').length,
    errored: scenarios.filter((r) => r.status === 'errored' || r.status === 'interrupted').length,
    reason,
  };
}

function key(s: PartitionItem): string {
  return `${s.file}\0${s.name}`;
}
