/**
 * End-to-end checks of the report files a real run writes (built CLI, embedded broker): JSON on
 * stdout, broker counters per scenario, JUnit testcase times and assertion locations.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { mqscen as runCli } from './_cli.js';

const root = resolve(import.meta.dirname, '..');
const _bin = join(root, 'bin', 'mqscen.js');

/** The CLI run to its end in `cwd` (test/_cli.ts), bounded. */
const mqscen = (args: string[], cwd: string) => runCli(args, { cwd, timeoutMs: 60_000 });

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-reports-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const BUSY = `name: busy
clients:
  sub:
    subscriptions:
      - { filter: "busy/#", qos: 1 }
  pub: {}
steps:
  - connect: all
  - publish: { from: pub, topic: busy/1, count: 20, qos: 1 }
  - settle: { timeout: 5s }
expect:
  - no-loss: {}
  - received: { clients: sub, count: 20 }
`;

const QUIET = `name: quiet
clients:
  lonely: {}
steps:
  - connect: all
  - wait: 50ms
expect:
  - duplicates: { max: 0 }
`;

interface Results {
  scenarios: Array<{
    name: string;
    brokerStats?: { clients: Record<string, unknown>; totals: { delivered: number; received: number } };
  }>;
}

test('--json - writes only the results to stdout; broker counters are per scenario', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a-busy.yaml'), BUSY);
  writeFileSync(join(dir, 'b-quiet.yaml'), QUIET);
  const r = await mqscen(['run', 'a-busy.yaml', 'b-quiet.yaml', '--json', '-', '--reporter', 'plain'], dir);
  assert.equal(r.code, 0, r.stderr);
  // The whole of stdout is one JSON document; the console lines went to stderr.
  const doc = JSON.parse(r.stdout) as Results;
  assert.match(r.stderr, /2 passed, 0 failed/);
  const [busy, quiet] = doc.scenarios;
  assert.equal(busy?.name, 'busy');
  assert.equal(busy?.brokerStats?.totals.delivered, 20);
  // Received counts every PUBLISH the broker took in (the runner's own housekeeping included).
  assert.ok((busy?.brokerStats?.totals.received ?? 0) >= 20);
  // The second scenario received nothing: it must not report the first one's deliveries.
  assert.equal(quiet?.name, 'quiet');
  assert.equal(quiet?.brokerStats?.totals.delivered, 0);
  assert.ok((quiet?.brokerStats?.totals.received ?? 99) < 20, JSON.stringify(quiet?.brokerStats));
  assert.deepEqual(Object.keys(quiet?.brokerStats?.clients ?? {}), []);
});

test('JUnit from a real run: testcase time from the run, file and line of each assertion, short message', async (t) => {
  const dir = tempDir(t);
  const failing = BUSY.replace('count: 20 }\n', 'count: 20 }\n').replace(
    '  - received: { clients: sub, count: 20 }',
    '  - received: { clients: sub, count: 21 }',
  );
  writeFileSync(join(dir, 'busy.yaml'), failing);
  const r = await mqscen(
    ['run', 'busy.yaml', '--junit', 'out/junit.xml', '--no-json', '--reporter', 'plain'],
    dir,
  );
  assert.equal(r.code, 1, r.stderr);
  const xml = readFileSync(join(dir, 'out', 'junit.xml'), 'utf8');
  const cases = [...xml.matchAll(/<testcase ([^>]*)>/g)].map((m) => m[1] ?? '');
  assert.equal(cases.length, 2);
  for (const attrs of cases) {
    const time = Number(/ time="([^"]+)"/.exec(attrs)?.[1]);
    assert.ok(time > 0, `testcase time is the run's time, not 0: ${attrs}`);
  }
  assert.match(cases[0] ?? '', /file="busy.yaml" line="12"/);
  assert.match(cases[1] ?? '', /file="busy.yaml" line="13"/);
  const message = /<failure message="([^"]*)"/.exec(xml)?.[1] ?? '';
  assert.ok(message.length > 0 && message.length <= 120, message);
  assert.match(xml, /expected: /);
  assert.match(xml, /at busy.yaml:13:/);

  // --junit-strict leaves the location attributes out.
  const s = await mqscen(
    ['run', 'busy.yaml', '--junit', 'strict.xml', '--junit-strict', '--no-json', '--reporter', 'plain'],
    dir,
  );
  assert.equal(s.code, 1, s.stderr);
  assert.doesNotMatch(readFileSync(join(dir, 'strict.xml'), 'utf8'), / line="/);
});

test('verification off is loud: warning at start, JUnit property, JSON target.insecure, validate --targets', async (t) => {
  const dir = tempDir(t);
  // A TCP port that accepts and hangs up: the TLS client fails fast, after the run started.
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  writeFileSync(
    join(dir, 'targets.yaml'),
    `lab:\n  kind: url\n  url: mqtts://127.0.0.1:${port}\n  rejectUnauthorized: false\n`,
  );
  writeFileSync(join(dir, 'quiet.yaml'), QUIET);
  const r = await mqscen(
    ['run', 'quiet.yaml', '--targets', 'targets.yaml', '--target', 'lab', '--reporter', 'plain'],
    dir,
  );
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /warning: target "lab": TLS certificate verification is off \(rejectUnauthorized: false\)/,
  );
  const xml = readFileSync(join(dir, 'reports', 'junit.xml'), 'utf8');
  assert.match(
    xml,
    /<property name="insecure" value="TLS certificate verification is off \(rejectUnauthorized: false\)/,
  );
  const json = JSON.parse(readFileSync(join(dir, 'reports', 'results.json'), 'utf8')) as {
    scenarios: Array<{ target: { insecure?: string[] } }>;
  };
  assert.match(json.scenarios[0]?.target.insecure?.[0] ?? '', /rejectUnauthorized: false/);

  const v = await mqscen(['validate', '--targets', 'targets.yaml'], dir);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stderr, /targets.yaml:4:\d+ +lab +warning: +TLS certificate verification is off/);

  // The same target with verification on says nothing of the kind.
  writeFileSync(join(dir, 'safe.yaml'), `lab:\n  kind: url\n  url: mqtts://127.0.0.1:${port}\n`);
  const s = await mqscen(['validate', '--targets', 'safe.yaml'], dir);
  assert.doesNotMatch(s.stderr, /verification is off/);
});

test('--help of every command has examples and exit codes; completion scripts come from the commands', async (t) => {
  const dir = tempDir(t);
  for (const command of [
    [],
    ['run'],
    ['validate'],
    ['compare'],
    ['report'],
    ['init'],
    ['completion'],
    ['schema'],
    ['broker'],
    ['certs'],
  ]) {
    const r = await mqscen([...command, '--help'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\nExamples:\n {2}mqscen /, `mqscen ${command.join(' ')} --help has examples`);
    assert.match(
      r.stdout,
      /\nExit codes[^\n]*:\n {2}0 /,
      `mqscen ${command.join(' ')} --help lists exit codes`,
    );
  }
  const bash = await mqscen(['completion', 'bash'], dir);
  assert.equal(bash.code, 0);
  for (const word of ['run', 'compare', 'init', 'report', '--junit-strict', '--html', '--targets']) {
    assert.ok(bash.stdout.includes(word), `bash completion offers ${word}`);
  }
  const zsh = await mqscen(['completion', 'zsh'], dir);
  assert.match(zsh.stdout, /^#compdef mqscen\n/);
  const fish = await mqscen(['completion', 'fish'], dir);
  assert.equal(fish.code, 2);
  assert.match(fish.stderr, /no completion for shell "fish"/);
});
