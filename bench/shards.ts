/**
 * One machine's view of sharding: the same 8,000-client fleet run by 1 process and by 4 shard
 * processes (started together with JOB_COMPLETION_INDEX=0..3 and `--shards 4`, as an Indexed Job
 * would), against one `mqscen broker` child. Prints wall time and peak RSS (`/usr/bin/time`, max
 * resident set) of every process, the merged verdict of the 4 shards (`mqscen merge`), and the
 * ratios. The point: the memory per process divides; on 2 cores the wall time does not.
 *
 * - `--by clients` (default): ONE scenario of 8,000 clients (1 publisher, 7,999 QoS 1 subscribers
 *   of one topic, `--messages` messages), the shards split its clients (`--shard-by clients`: step
 *   barriers and clock offsets over the broker, the merge replays every shard's journal).
 * - `--by files`: 4 scenario files of 2,000 clients each, every shard runs whole files.
 *
 *   npm run build && npx tsx bench/shards.ts [--by clients|files] [--clients 8000] [--messages 5]
 *     [--connect-rate 0] [--rounds 1] [--keep]
 *
 * `--connect-rate N` paces the connect at N/s for the whole fleet (each client shard connects at
 * N/4 per second); 0 leaves only the default bound of 100 handshakes in flight per process.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    by: { type: 'string', default: 'clients' },
    clients: { type: 'string', default: '8000' },
    messages: { type: 'string', default: '5' },
    'connect-rate': { type: 'string', default: '0' },
    rounds: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  },
});
if (values.by !== 'clients' && values.by !== 'files') throw new Error('--by clients|files');
const by = values.by;
const SHARDS = 4;
const clients = Number(values.clients);
const messages = Number(values.messages);
const connectRate = Number(values['connect-rate']);
const rounds = Math.max(1, Number(values.rounds));
const bin = resolve(import.meta.dirname, '..', 'bin', 'mqscen.js');
const dir = mkdtempSync(join(tmpdir(), 'mqscen-bench-shards-'));

/** 1 publisher and `size - 1` QoS 1 subscribers of one topic. */
function scenario(k: number, size: number): string {
  const connect = connectRate > 0 ? `{ clients: all, rate: ${connectRate}/s }` : 'all';
  return [
    `name: shard bench fleet ${k}`,
    'timeout: 10m',
    'clients:',
    '  publisher:',
    `    clientId: bench-shard-${k}-pub-{run}`,
    '  fleet:',
    `    count: ${size - 1}`,
    `    clientId: bench-shard-${k}-{n}-{run}`,
    `    subscriptions: [{ filter: bench/shards/${k}, qos: 1 }]`,
    'steps:',
    `  - connect: ${connect}`,
    `  - publish: { from: publisher, topic: bench/shards/${k}, count: ${messages}, qos: 1 }`,
    '  - settle: { timeout: 2m }',
    '  - disconnect: all',
    'expect:',
    '  - no-loss: { qos: 1 }',
    `  - received: { clients: fleet, count: ${messages} }`,
  ].join('\n');
}

interface Measured {
  code: number | null;
  ms: number;
  rssMb: number;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Measured> {
  return new Promise((res) => {
    const started = Date.now();
    const child = spawn('/usr/bin/time', ['-f', 'MAXRSS_KB %M', process.execPath, bin, ...args], {
      env: { ...process.env, CI: 'true', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => {
      if (code !== 0) process.stderr.write(stderr.split('\n').slice(-15).join('\n'));
      const kb = Number(/MAXRSS_KB (\d+)/.exec(stderr)?.[1] ?? 0);
      res({ code, ms: Date.now() - started, rssMb: kb / 1024, stderr });
    });
  });
}

function startBroker(): { child: ChildProcessByStdio<null, Readable, null>; url: Promise<string> } {
  const child = spawn(process.execPath, [bin, 'broker', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = new Promise<string>((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`broker did not start:\n${out}`)), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /mqtt:\/\/127\.0\.0\.1:\d+/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[0]);
      }
    });
  });
  return { child, url };
}

interface Round {
  one: Measured;
  shards: Measured[];
  merge: Measured;
  verdict: {
    passed: number;
    failed: number;
    errored: number;
    scenarios: Array<{
      assertions: Array<{ kind: string; actual?: string }>;
      latency?: { crossShard?: { pairs: number; clockUncertaintyMs: number } };
    }>;
  };
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mb = (m: Measured) => `${m.rssMb.toFixed(0)} MB`;

async function round(r: number, files: string[], url: string): Promise<Round> {
  const common = ['-t', url, '--no-html', '--reporter', 'plain'];
  const one = await run(['run', ...files, ...common, '--no-junit', '--json', join(dir, `one-${r}.json`)]);
  console.log(`  1 process:   exit ${one.code}, wall ${s(one.ms)}, peak RSS ${mb(one)}`);

  // A fresh run id per round: the step barriers' retained messages are per run.
  const runId = `bench-${process.pid}-${Date.now()}-${r}`;
  const shardBy = by === 'clients' ? ['--shard-by', 'clients'] : [];
  const shards = await Promise.all(
    Array.from({ length: SHARDS }, (_, k) =>
      run(
        [
          'run',
          ...files,
          ...common,
          '--shards',
          String(SHARDS),
          ...shardBy,
          '--run-id',
          runId,
          '--shard-file',
          join(dir, `round-${r}`, `shard-${k}.json`),
          '--no-junit',
          '--no-json',
        ],
        { JOB_COMPLETION_INDEX: String(k) },
      ),
    ),
  );
  shards.forEach((m, k) => {
    console.log(`    shard ${k + 1}/${SHARDS}: exit ${m.code}, wall ${s(m.ms)}, peak RSS ${mb(m)}`);
  });
  const mergedJson = join(dir, `merged-${r}.json`);
  const merge = await run([
    'merge',
    join(dir, `round-${r}`, 'shard-*.json'),
    '--no-junit',
    '--no-html',
    '--json',
    mergedJson,
  ]);
  let verdict: Round['verdict'] = { passed: 0, failed: 0, errored: 0, scenarios: [] };
  try {
    verdict = JSON.parse(readFileSync(mergedJson, 'utf8')) as Round['verdict'];
  } catch {
    // No merged results: the merge refused the set (its stderr is printed above).
  }
  const wall = Math.max(...shards.map((m) => m.ms));
  const peak = Math.max(...shards.map((m) => m.rssMb));
  console.log(
    `  ${SHARDS} processes: wall ${s(wall)} (slowest shard), peak RSS per process ≤ ${peak.toFixed(0)} MB (sum ${shards.reduce((a, m) => a + m.rssMb, 0).toFixed(0)} MB); merge exit ${merge.code} in ${s(merge.ms)}, ${mb(merge)}: ${verdict.passed} passed, ${verdict.failed} failed, ${verdict.errored} errored`,
  );
  if (by === 'clients') {
    // What the merge judged: the owed deliveries over every shard's journal, and how many
    // latency pairs had their publisher and receiver on different shards.
    const sc = verdict.scenarios[0];
    const noLoss = sc?.assertions.find((a) => a.kind === 'no-loss')?.actual ?? 'no result';
    const cross = sc?.latency?.crossShard;
    console.log(
      `    merged no-loss: ${noLoss}; latency pairs across shards ${cross?.pairs ?? 0} (clock uncertainty ${cross?.clockUncertaintyMs.toFixed(2) ?? '?'} ms)`,
    );
  }
  return { one, shards, merge, verdict };
}

async function main(): Promise<void> {
  const fileCount = by === 'clients' ? 1 : SHARDS;
  const perFile = Math.floor(clients / fileCount);
  const files = Array.from({ length: fileCount }, (_, k) => {
    const f = join(dir, `fleet-${k + 1}.yaml`);
    writeFileSync(f, scenario(k + 1, perFile));
    return f;
  });
  const broker = startBroker();
  let failed = false;
  try {
    const url = await broker.url;
    const pace = connectRate > 0 ? `, connect ${connectRate}/s` : '';
    console.log(
      by === 'clients'
        ? `--by clients: 1 scenario of ${perFile} clients (1 publisher → ${perFile - 1} QoS 1 subscribers), ${messages} messages${pace}; ${SHARDS} client shards (--shard-by clients); broker ${url}`
        : `--by files: ${fileCount * perFile} clients as ${fileCount} files of ${perFile} (1 publisher → ${perFile - 1} QoS 1 subscribers), ${messages} messages each${pace}; ${SHARDS} file shards; broker ${url}`,
    );
    const all: Round[] = [];
    for (let r = 1; r <= rounds; r++) {
      if (rounds > 1) console.log(`round ${r} of ${rounds}`);
      all.push(await round(r, files, url));
    }
    for (const x of all) {
      const verdictOk = x.merge.code === 0 && x.verdict.passed === fileCount && x.verdict.failed === 0;
      if (x.one.code !== 0 || !verdictOk) failed = true;
    }
    // Best of the rounds, figure by figure (the machine is shared: the least disturbed round).
    const best = (f: (x: Round) => number) => Math.min(...all.map(f));
    const oneMs = best((x) => x.one.ms);
    const oneRss = best((x) => x.one.rssMb);
    const shardMs = best((x) => Math.max(...x.shards.map((m) => m.ms)));
    const shardRss = best((x) => Math.max(...x.shards.map((m) => m.rssMb)));
    console.log(
      `${rounds > 1 ? `best of ${rounds}: ` : ''}1 process ${s(oneMs)}, ${oneRss.toFixed(0)} MB; ${SHARDS} shards ${s(shardMs)} (slowest), ≤ ${shardRss.toFixed(0)} MB per process`,
    );
    console.log(
      `ratios (${SHARDS} shards / 1 process): peak RSS per process ${(shardRss / oneRss).toFixed(2)}, wall ${(shardMs / oneMs).toFixed(2)}; merged verdict ${failed ? 'NOT passed' : 'passed'}`,
    );
  } finally {
    broker.child.kill('SIGINT');
    if (values.keep) console.log(`files kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

await main();
