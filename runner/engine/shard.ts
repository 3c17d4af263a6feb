/**
 * Sharding a run: which shard this process is (`--shard i/n`, `MQSCEN_SHARD=i/n`, or a Kubernetes
 * Indexed Job's `JOB_COMPLETION_INDEX` with `--shards n`) and which scenarios it owns. The partition
 * is a pure function of the selected scenario list and (i, n), so every shard computes the same
 * split without talking to the others (Playwright's `--shard` model); `mqscen merge` recomputes it
 * to check that the shard files it is given are the whole run.
 *
 * Shard numbers are 1-based in `i/n` (as Playwright's); `JOB_COMPLETION_INDEX` is 0-based, so index
 * k is shard k+1/n. Internally `index` is 0-based.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { ResolvedClient } from '../scenario/types.js';

/** How a scenario is split: whole scenario files per shard, or the clients of one scenario. */
export type ShardBy = 'files' | 'clients';

export interface ShardSpec {
  /** 0-based (JOB_COMPLETION_INDEX). */
  index: number;
  total: number;
  /** Where it came from, for messages: `--shard 2/4`, `JOB_COMPLETION_INDEX=1 with --shards 4`. */
  source: string;
}

/** Upper bound on shards: a Kubernetes Indexed Job allows 100,000 completions. */
export const MAX_SHARDS = 100_000;

/** `2/4` → index 1 of 4. */
export function parseShardSpec(text: string, source: string): ShardSpec {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (match === null) {
    throw new UsageError(`${source}: "${text}" is not i/n`, {
      hint: 'give the shard as i/n with 1 <= i <= n, e.g. --shard 1/4 (shard numbers start at 1, as in Playwright)',
    });
  }
  const i = Number(match[1]);
  const n = Number(match[2]);
  if (n < 1 || n > MAX_SHARDS)
    throw new UsageError(`${source}: the shard count must be 1..${MAX_SHARDS}, not ${n}`);
  if (i < 1 || i > n) {
    throw new UsageError(`${source}: shard ${i} of ${n} does not exist (shards are numbered 1..${n})`, {
      hint:
        i === 0
          ? 'shard numbers start at 1 (JOB_COMPLETION_INDEX starts at 0: use it with --shards N instead)'
          : undefined,
    });
  }
  return { index: i - 1, total: n, source };
}

export interface ShardInputs {
  /** `--shard i/n`. */
  shard?: string;
  /** `--shards n` (with JOB_COMPLETION_INDEX). */
  shards?: string;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * Which shard this process is, first that applies: `--shard`, `MQSCEN_SHARD`, `JOB_COMPLETION_INDEX`
 * with `--shards`; undefined when the run is not sharded. `--shards` without an index is an error
 * (a pod without its index would run every scenario, n times over).
 */
export function resolveShard(inputs: ShardInputs): ShardSpec | undefined {
  const total = inputs.shards === undefined ? undefined : parseShardCount(inputs.shards);
  let spec: ShardSpec | undefined;
  if (inputs.shard !== undefined) spec = parseShardSpec(inputs.shard, `--shard ${inputs.shard}`);
  else if (inputs.env['MQSCEN_SHARD'] !== undefined && inputs.env['MQSCEN_SHARD'] !== '') {
    spec = parseShardSpec(inputs.env['MQSCEN_SHARD'], `MQSCEN_SHARD=${inputs.env['MQSCEN_SHARD']}`);
  } else if (total !== undefined) {
    const raw = inputs.env['JOB_COMPLETION_INDEX'];
    if (raw === undefined || raw === '') {
      throw new UsageError(`--shards ${total} was given but this process has no shard index`, {
        hint: 'run it in a Kubernetes Indexed Job (which sets JOB_COMPLETION_INDEX), or give --shard i/n',
      });
    }
    if (!/^\d+$/.test(raw.trim()) || Number(raw) >= total) {
      throw new UsageError(
        `JOB_COMPLETION_INDEX=${raw} is not an index of ${total} shards (0..${total - 1})`,
        { hint: "the Job's completions must equal --shards" },
      );
    }
    return { index: Number(raw), total, source: `JOB_COMPLETION_INDEX=${raw.trim()} with --shards ${total}` };
  }
  if (spec !== undefined && total !== undefined && spec.total !== total) {
    throw new UsageError(`${spec.source} disagrees with --shards ${total}`, {
      hint: 'give one of them, or the same shard count in both',
    });
  }
  return spec;
}

function parseShardCount(text: string): number {
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1 || Number(text) > MAX_SHARDS) {
    throw new UsageError(`--shards ${text}: the shard count must be a whole number 1..${MAX_SHARDS}`);
  }
  return Number(text);
}

/** `shard 2/4` (1-based, as users write it). */
export function shardLabel(spec: Pick<ShardSpec, 'index' | 'total'>): string {
  return `shard ${spec.index + 1}/${spec.total}`;
}

/** A scenario as the partition sees it. */
export interface PartitionItem {
  file: string;
  name: string;
}

/**
 * The whole-file partition: the items sorted by file then name (so the order of the command line
 * does not matter), cut into n contiguous runs whose sizes differ by at most one. Shard k owns
 * [floor(k*m/n), floor((k+1)*m/n)); with more shards than scenarios some shards own none.
 */
export function partitionByFiles<T extends PartitionItem>(
  items: readonly T[],
  spec: Pick<ShardSpec, 'index' | 'total'>,
): T[] {
  const sorted = sortForPartition(items);
  const m = sorted.length;
  const from = Math.floor((spec.index * m) / spec.total);
  const to = Math.floor(((spec.index + 1) * m) / spec.total);
  return sorted.slice(from, to);
}

export function sortForPartition<T extends PartitionItem>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => compare(a.file, b.file) || compare(a.name, b.name));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * What makes two shards parts of one run's selection: every selected scenario's file, name and
 * file content, the variables, the shard count and mode. A hex SHA-256.
 */
export function suiteFingerprint(input: {
  scenarios: ReadonlyArray<PartitionItem & { content: string }>;
  vars: Readonly<Record<string, string>>;
  total: number;
  by: ShardBy;
}): string {
  const hash = createHash('sha256');
  hash.update(`mqscen-suite\0${input.by}\0${input.total}\0`);
  for (const s of sortForPartition(input.scenarios)) {
    hash.update(`${s.file}\0${s.name}\0${createHash('sha256').update(s.content).digest('hex')}\0`);
  }
  for (const key of Object.keys(input.vars).sort()) hash.update(`${key}=${input.vars[key]}\0`);
  return hash.digest('hex');
}

/**
 * The run id shards agree on without talking: `--run-id`, `MQSCEN_RUN_ID`, GitHub Actions' run id
 * and attempt, else one derived from the suite fingerprint (then two runs of the same suite have
 * the same id, and only the fingerprint and the complete-set check guard the merge).
 */
export function resolveShardRunId(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  fingerprint: string,
): string {
  if (flag !== undefined && flag !== '') return flag;
  const fromEnv = env['MQSCEN_RUN_ID'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const gh = env['GITHUB_RUN_ID'];
  if (gh !== undefined && gh !== '') return `github-${gh}-${env['GITHUB_RUN_ATTEMPT'] ?? '1'}`;
  return `suite-${fingerprint.slice(0, 12)}`;
}

/**
 * The client partition every shard computes alike (`--shard-by clients`): the scenario's instances
 * in declaration order, grouped by client id (a takeover and the client it takes over share one
 * session, so one shard), group j on shard j mod n. Every declaration spreads over the shards, and
 * an instance (its persistent session, its reconnects) always lives on one shard.
 * Returns, per instance, the index of the shard that runs it.
 */
export function clientOwners(
  clients: readonly Pick<ResolvedClient, 'clientId'>[],
  total: number,
): Int32Array {
  const groups = new Map<string, number>();
  return Int32Array.from(clients, (c) => {
    let g = groups.get(c.clientId);
    if (g === undefined) {
      g = groups.size;
      groups.set(c.clientId, g);
    }
    return g % total;
  });
}

/**
 * The identity run id (8 base-36 characters, as createRunId's) every shard stamps on one
 * scenario's messages, so a receipt on one shard names the publisher's message on another.
 */
export function shardRecordRunId(runId: string, scenario: PartitionItem): string {
  const digest = createHash('sha256')
    .update(`mqscen-record\0${runId}\0${scenario.file}\0${scenario.name}`)
    .digest();
  return digest.readUIntBE(0, 6).toString(36).padStart(9, '0').slice(-8);
}

/** The `{run}` placeholder of client ids (6 characters) every shard of one run shares. */
export function shardClientRunId(runId: string): string {
  const digest = createHash('sha256').update(`mqscen-clients\0${runId}`).digest();
  return digest.readUIntBE(0, 6).toString(36).padStart(9, '0').slice(-6);
}
