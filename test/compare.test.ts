/**
 * `mqscen compare` end to end (built CLI, two embedded profiles: no broker to install): the matrix
 * on stdout, "n/a" where `on:` limits an assertion to the other behaviour, differences marked,
 * compare.json, JUnit with one suite per target (valid against both schemas) and the HTML page.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { mqscen as runCli } from './_cli.js';

const root = resolve(import.meta.dirname, '..');
const _bin = join(root, 'bin', 'mqscen.js');

/** The CLI run to its end in `cwd` (test/_cli.ts), bounded. */
const mqscen = (args: string[], cwd: string) => runCli(args, { cwd, timeoutMs: 90_000 });

test('compare: the matrix shows where the AWS IoT and Mosquitto profiles differ', {
  timeout: 120_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-compare-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(root, 'scenarios', 'retained.yaml'), join(dir, 'retained.yaml'));
  cpSync(join(root, 'scenarios', 'queuing-all-offline.yaml'), join(dir, 'queuing-all-offline.yaml'));
  const r = await mqscen(
    [
      'compare',
      'retained.yaml',
      'queuing-all-offline.yaml',
      '--targets',
      'embedded:aws-iot,embedded:mosquitto',
    ],
    dir,
  );
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines[0], '| scenario / assertion | embedded:aws-iot | embedded:mosquitto |  |');
  const row = (label: string) => lines.find((l) => l.startsWith(`|   ${label} |`)) ?? '';
  // only AWS IoT refuses retained messages to wildcard filters; each side is n/a on the other.
  assert.match(
    row('wildcard filters never get retained messages (R-3)'),
    /\| ✔ wildcard got none \| n\/a \| ≠ \|$/,
  );
  assert.match(row('wildcard filters get retained messages (spec)'), /\| n\/a \| ✔ wildcard got it \| ≠ \|$/);
  // MQ-6: the group queue drains to the first member back on AWS IoT only.
  assert.match(
    row('the group queue drains to the first member back (MQ-6)'),
    /\| ✔ 12 messages \| n\/a \| ≠ \|$/,
  );
  // The same verdict on both: no mark.
  assert.match(
    row('retained status/retained-device delivered to exact'),
    /\| ✔ exact got it \| ✔ exact got it \| {2}\|$/,
  );
  assert.match(r.stderr, /wrote reports\/compare.json, reports\/compare-junit.xml, reports\/compare.html/);

  const doc = JSON.parse(readFileSync(join(dir, 'reports', 'compare.json'), 'utf8')) as {
    kind: string;
    targets: Array<{ name: string; behaviour: string }>;
    rows: Array<{ assertion?: string; differs: boolean; cells: Record<string, { status: string }> }>;
    runs: Record<string, { scenarios: unknown[] }>;
  };
  assert.equal(doc.kind, 'compare');
  assert.deepEqual(
    doc.targets.map((x) => `${x.name}/${x.behaviour}`),
    ['embedded:aws-iot/aws-iot', 'embedded:mosquitto/mosquitto'],
  );
  const r3 = doc.rows.find((x) => x.assertion === 'wildcard filters never get retained messages (R-3)');
  assert.deepEqual(r3?.cells, {
    'embedded:aws-iot': { status: 'passed', observed: 'wildcard got none' },
    'embedded:mosquitto': r3?.cells['embedded:mosquitto'],
  });
  assert.equal(r3?.cells['embedded:mosquitto']?.status, 'n/a');
  assert.equal(doc.runs['embedded:mosquitto']?.scenarios.length, 2);

  const xml = readFileSync(join(dir, 'reports', 'compare-junit.xml'), 'utf8');
  assert.equal(xml.match(/<testsuite /g)?.length, 2);
  assert.match(xml, /<testsuite name="embedded:aws-iot"/);
  if (spawnSync('xmllint', ['--version']).error === undefined) {
    for (const xsd of ['junit-10.xsd', 'JUnit.xsd']) {
      const v = spawnSync(
        'xmllint',
        ['--noout', '--schema', join(root, 'test/xsd', xsd), join(dir, 'reports', 'compare-junit.xml')],
        {
          encoding: 'utf8',
        },
      );
      assert.equal(v.status, 0, `${xsd}: ${v.stderr}`);
    }
  }
  const html = readFileSync(join(dir, 'reports', 'compare.html'), 'utf8');
  assert.match(html, /<table class="matrix">/);
  assert.match(html, /Comparison across 2 targets/);
});

test('compare: fewer than two targets, or an unknown one, is a usage error before anything runs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-compare-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(root, 'scenarios', 'retained.yaml'), join(dir, 'retained.yaml'));
  const one = await mqscen(['compare', 'retained.yaml', '--targets', 'embedded'], dir);
  assert.equal(one.code, 2);
  assert.match(one.stderr, /must name at least two different targets/);
  const unknown = await mqscen(['compare', 'retained.yaml', '--targets', 'embedded,nowhere'], dir);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown target "nowhere"/);
  assert.equal(unknown.stdout, '');
});
