/**
 * One machine's view of sharding: the same 8,000-client fleet run by 1 process and by 4 shard
 * processes (`--shard k/4`, started together as an Indexed Job would), against one `mqscen broker`
 * child. The fleet is 4 scenario files of 2,000 clients (1 publisher, 1,999 QoS 1 subscribers of one
 * topic, `--messages` messages), since shards split whole files. Prints wall time and peak RSS
 * (`/usr/bin/time`, max resident set) of every process, the merged verdict of the 4 shards, and
 * the RSS ratio. The point: the memory per process divides; on 2 cores the wall time does not.
 *
 *   npm run build && npx tsx bench/shards.ts [--clients 8000] [--messages 5]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { clients: { type: 'string', default: '8000' }, messages: { type: 'string', default: '5' } },
});
const FILES = 4;
const perFile = Math.floor(Number(values.clients) / FILES);
const messages = Number(values.messages);
const bin = resolve(import.meta.dirname, '..', 'bin', 'mqscen.js');
const dir = mkdtempSync(join(tmpdir(), 'mqscen-bench-shards-'));

function scenario(k: number): string {
  return [
    `name: shard bench fleet ${k}`,
    'timeout: 10m',
    'clients:',
    '  publisher:',
    `    clientId: bench-shard-${k}-pub-{run}`,
    '  fleet:',
    `    count: ${perFile - 1}`,
    `    clientId: bench-shard-${k}-{n}-{run}`,
    `    subscriptions: [{ filter: bench/shards/${k}, qos: 1 }]`,
    'steps:',
    '  - connect: all',
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

async function main(): Promise<void> {
  const files = Array.from({ length: FILES }, (_, k) => {
    const f = join(dir, `fleet-${k + 1}.yaml`);
    writeFileSync(f, scenario(k + 1));
    return f;
  });
  const broker = spawn(process.execPath, [bin, 'broker', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((res, rej) => {
      let out = '';
      const timer = setTimeout(() => rej(new Error(`broker did not start:\n${out}`)), 20_000);
      broker.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /mqtt:\/\/127\.0\.0\.1:\d+/.exec(out);
        if (m) {
          clearTimeout(timer);
          res(m[0]);
        }
      });
    });
    const common = ['-t', url, '--no-html', '--reporter', 'plain'];
    console.log(
      `${FILES * perFile} clients as ${FILES} files of ${perFile}, ${messages} QoS 1 messages each, broker ${url}`,
    );

    const one = await run([
      'run',
      ...files,
      ...common,
      '--junit',
      join(dir, 'one.xml'),
      '--json',
      join(dir, 'one.json'),
    ]);
    console.log(
      `1 process:  exit ${one.code}, wall ${(one.ms / 1000).toFixed(1)} s, peak RSS ${one.rssMb.toFixed(0)} MB`,
    );

    const shards = await Promise.all(
      [0, 1, 2, 3].map((k) =>
        run(
          [
            'run',
            ...files,
            ...common,
            '--shards',
            '4',
            '--run-id',
            'bench',
            '--shard-file',
            join(dir, `shard-${k}.json`),
            '--no-junit',
            '--no-json',
          ],
          { JOB_COMPLETION_INDEX: String(k) },
        ),
      ),
    );
    const wall = Math.max(...shards.map((s) => s.ms));
    shards.forEach((s, k) => {
      console.log(
        `  shard ${k + 1}/4: exit ${s.code}, wall ${(s.ms / 1000).toFixed(1)} s, peak RSS ${s.rssMb.toFixed(0)} MB`,
      );
    });
    const merge = await run([
      'merge',
      join(dir, 'shard-*.json'),
      '--no-junit',
      '--no-html',
      '--json',
      join(dir, 'merged.json'),
    ]);
    const merged = JSON.parse(readFileSync(join(dir, 'merged.json'), 'utf8')) as {
      passed: number;
      failed: number;
      errored: number;
    };
    const maxShard = Math.max(...shards.map((s) => s.rssMb));
    console.log(
      `4 processes: wall ${(wall / 1000).toFixed(1)} s (slowest shard), peak RSS per process ≤ ${maxShard.toFixed(0)} MB; merge exit ${merge.code}: ${merged.passed} passed, ${merged.failed} failed, ${merged.errored} errored`,
    );
    console.log(
      `ratios (4 shards / 1 process): peak RSS per process ${(maxShard / one.rssMb).toFixed(2)}, wall ${(wall / one.ms).toFixed(2)}`,
    );
  } finally {
    broker.kill('SIGINT');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
