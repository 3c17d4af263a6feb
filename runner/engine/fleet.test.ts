/**
 * Connecting a fleet: a broker that refuses part of 2,000 clients (a real Mosquitto capped at
 * 1,500 connections) ends the connect step with one error that counts what happened to the fleet
 * and names the first failure, exit 3, within the step's bounds; a fleet that connects is summed
 * up in one note; live counters report connected / refused / connecting; `rate` spreads attempts;
 * a fleet past the open-files limit says so (EMFILE), with the fix.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Reporter } from '../reporters/reporter.js';
import type { Counters } from '../results.js';
import { startEmbeddedTarget } from '../targets/embedded.js';
import { findMosquitto, startMosquittoTarget } from '../targets/mosquitto.js';
import { client, scenario } from '../verdict/_fixtures.js';
import { runScenario } from './run-scenario.js';

const mosquittoSkip = (() => {
  try {
    findMosquitto();
    return false;
  } catch {
    return 'mosquitto is not installed (apt-get install -y mosquitto)';
  }
})();

const fleet = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) =>
    client(`${prefix}[${i + 1}]`, { clientId: `mqscen-fleet-${prefix}-${process.pid}-${i + 1}` }),
  );

function progressReporter(): Reporter & { seen: Array<NonNullable<Counters['connects']>> } {
  const seen: Array<NonNullable<Counters['connects']>> = [];
  return {
    seen,
    onStepProgress: (_s, _step, c) => {
      if (c.connects !== undefined) seen.push(c.connects);
    },
  };
}

test('2,000 clients, the broker takes 1,500: the connect step counts the refused and names the first, exit 3', {
  skip: mosquittoSkip,
  timeout: 90_000,
}, async (t) => {
  const target = await startMosquittoTarget({ websockets: false, extraConfig: ['max_connections 1500'] });
  t.after(() => target.close());
  const clients = fleet(2000, 'm');
  const s = scenario({
    clients,
    steps: [{ kind: 'connect', clients: clients.map((c) => c.name) }],
    timeouts: { connectMs: 5000 },
    timeoutMs: 60_000,
  });
  const reporter = progressReporter();
  const r = await runScenario(s, { target, reporter, signal: new AbortController().signal });
  assert.equal(r.status, 'errored', JSON.stringify(r.error));
  assert.equal(r.error?.exitCode, 3, JSON.stringify(r.error));
  const message = r.error?.message ?? '';
  // Mosquitto counts its cap with the connection being accepted: 1,500 or 1,501 get in.
  const m =
    /^(\d+) of 2,000 clients had the connection closed before CONNACK \(1,(\d{3}) connected\); the first: /.exec(
      message,
    );
  assert.ok(m !== null, message);
  assert.equal(Number(m[1]) + 1000 + Number(m[2]), 2000, message);
  assert.ok(Number(m[1]) >= 490, message);
  assert.match(message, /the first: .*client "mqscen-fleet-m-/);
  assert.ok(message.length < 400, message);
  // A broker that answered 1,500 clients is reachable: the step says what it refused instead.
  assert.doesNotMatch(message, /no CONNACK/);
  const last = reporter.seen.at(-1);
  if (last !== undefined) {
    assert.equal(last.total, 2000);
    assert.equal(last.connected + last.refused + last.pending, 2000);
  }
});

test('a fleet that connects is one note; rate spreads the attempts; live counters add up', async (t) => {
  const target = await startEmbeddedTarget({ profile: 'mosquitto' });
  t.after(() => target.close());
  const clients = fleet(40, 'e');
  const s = scenario({
    clients,
    steps: [
      { kind: 'connect', clients: clients.map((c) => c.name), pace: { ratePerSecond: 100, concurrency: 20 } },
    ],
    expect: [{ kind: 'session-present', clients: clients.map((c) => c.name), expected: false }],
  });
  const reporter = progressReporter();
  // 20 workers pacing at once: each sleep and each CONNACK wait shares the one abort listener.
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  const r = await runScenario(s, { target, reporter, signal: new AbortController().signal });
  assert.equal(r.status, 'passed', JSON.stringify(r.error));
  assert.ok(!warnings.includes('MaxListenersExceededWarning'), warnings.join(', '));
  const step = r.steps[0];
  assert.deepEqual(step?.notes, ['40 connected, sessionPresent=false for all']);
  // The assertion over the fleet is one count, not 40 names.
  assert.equal(r.assertions[0]?.actual, '40 clients sessionPresent=false');
  // 40 attempts at 100/s: the last starts no earlier than 390 ms after the first.
  assert.ok((step?.durationMs ?? 0) >= 380, `took ${step?.durationMs} ms`);
  assert.ok(reporter.seen.length > 0, 'progress while connecting');
  for (const c of reporter.seen) {
    assert.equal(c.total, 40);
    assert.equal(c.connected + c.refused + c.pending, 40);
  }
});

test('a fleet past the open-files limit is exit 3 naming the limit and the fix (EMFILE)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-fleet-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'fleet.yaml'),
    'name: fleet\nclients:\n  c: { count: 400, clientId: "mqscen-emfile-{n}-{run}" }\nsteps:\n  - connect: all\n',
  );
  writeFileSync(join(dir, 'targets.yaml'), 'here: { kind: embedded, process: in-process }\n');
  // 400 clients and the broker's 400 ends in one process under a limit of 600 open files.
  const bin = fileURLToPath(new URL('../../bin/mqscen.js', import.meta.url));
  const r = spawnSync(
    'sh',
    [
      '-c',
      `ulimit -n 600 && exec "${process.execPath}" "${bin}" run fleet.yaml --targets targets.yaml --target here`,
    ],
    { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1' }, timeout: 60_000 },
  );
  assert.equal(r.status, 3, r.stdout + r.stderr);
  assert.match(r.stderr, /of 400 clients/);
  assert.match(r.stderr, /open-files limit \(([\d,]+ open, )?limit 600: ulimit -n\)/);
  assert.match(r.stderr, /process: child/);
});
