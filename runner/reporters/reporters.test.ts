/**
 * The reporter contract (style rule 3): every reporter in the registry survives the same recorded
 * event stream (a passed, a failed and an interrupted scenario) and a disordered one, and produces
 * its output. Then the fixed outputs: JUnit snapshot + XSD validation, plain snapshot, JSON content,
 * secrets never written.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type RunEvent,
  recordedRun,
  replay,
  SECRETS,
  withSecretTarget,
} from '../../test/fixtures/reporters/run-events.js';
import type { RunSummary } from '../results.js';
import { createReporter, type ReporterName, reporterNames } from './index.js';
import { buildJUnitReport, createJUnitReporter, MESSAGE_MAX, shortFailureMessage } from './junit.js';
import { createPlainReporter } from './plain.js';
import type { Reporter } from './reporter.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = join(root, 'test/fixtures/reporters');
const ANSI = '\u001b[';
const update = process.env['UPDATE_SNAPSHOTS'] === '1';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-reporters-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A writable that keeps what it was given, usable as a TTY-less stdout. */
function captureStream(): { stream: NodeJS.WriteStream; text(): string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => {
    text += d.toString();
  });
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

interface Harness {
  reporter: Reporter;
  /** Everything the reporter produced (console text or file contents). */
  output(): string;
}

/** Creates a registry reporter wired to a temp folder or capture streams. */
async function harness(name: ReporterName, dir: string): Promise<Harness> {
  switch (name) {
    case 'live': {
      const out = captureStream();
      const err = captureStream();
      return {
        reporter: await createReporter('live', { stream: out.stream, errorStream: err.stream }),
        output: out.text,
      };
    }
    case 'plain': {
      const out = captureStream();
      return {
        reporter: await createReporter('plain', { stream: out.stream, color: false }),
        output: out.text,
      };
    }
    case 'junit': {
      const file = join(dir, 'nested', 'folder', 'junit.xml');
      return {
        reporter: await createReporter('junit', { outputFile: file }),
        output: () => (existsSync(file) ? readFileSync(file, 'utf8') : ''),
      };
    }
    case 'json': {
      const file = join(dir, 'json-out', 'results.json');
      return {
        reporter: await createReporter('json', { outputFile: file }),
        output: () => (existsSync(file) ? readFileSync(file, 'utf8') : ''),
      };
    }
    case 'html': {
      const file = join(dir, 'html-out', 'report.html');
      return {
        reporter: await createReporter('html', { outputFile: file }),
        output: () => (existsSync(file) ? readFileSync(file, 'utf8') : ''),
      };
    }
  }
}

/** What each reporter's output must show after the recorded run. */
const expectations: Record<ReporterName, RegExp[]> = {
  live: [
    /shared-subscription message queuing/,
    /expected every message published while subscriber/,
    /1 passed, 1 failed, 1 interrupted \(3 scenarios\)/,
  ],
  plain: [
    /✖ no-loss — expected/,
    /1 passed, 1 failed, 1 interrupted \(3 scenarios\) in 5\.3s, run interrupted/,
  ],
  junit: [/<testsuite [^>]*name="will on abrupt disconnect"/, /<error [^>]*type="E_INTERRUPTED"/],
  json: [/"reason": "interrupted"/, /"schemaVersion": 1/],
  html: [
    /<!doctype html>/,
    /shared-subscription message queuing/,
    /every message published while subscriber was offline reaches it after reconnect/,
    /publisher#1 → test\/qos0 QoS0, expected by subscriber, never received/,
    /var uPlot=/,
  ],
};

for (const name of reporterNames) {
  test(`reporter contract: ${name} survives the recorded run and reports it`, {
    timeout: 30_000,
  }, async (t) => {
    const dir = tempDir(t);
    const h = await harness(name, dir);
    await replay(h.reporter, recordedRun);
    const output = h.output();
    for (const re of expectations[name]) assert.match(output, re, `${name} output:\n${output}`);
  });

  test(`reporter contract: ${name} survives a disordered stream`, { timeout: 30_000 }, async (t) => {
    const dir = tempDir(t);
    const h = await harness(name, dir);
    const scenario = {
      file: 'scenarios/x.yaml',
      name: 'x',
      steps: [{ ref: 1, kind: 'wait', label: 'wait 1s' }],
    };
    const endResult = recordedRun.find((e) => e.type === 'scenarioEnd');
    assert.ok(endResult?.type === 'scenarioEnd');
    const empty: RunSummary = {
      startedAt: '2026-01-05T10:00:00.000Z',
      durationMs: 0,
      scenarios: [],
      passed: 0,
      failed: 0,
      errored: 0,
      reason: 'passed',
    };
    const events: RunEvent[] = [
      // No onRunStart, steps of a scenario never started, an end for a scenario never started.
      {
        type: 'stepProgress',
        scenario,
        step: { ref: 9 },
        counters: { published: 1, acked: 0, received: 0, duplicates: 0, pending: 1 },
      },
      {
        type: 'stepEnd',
        scenario,
        result: {
          ref: 9,
          kind: 'wait',
          label: '?',
          status: 'passed',
          startedAtMs: 0,
          durationMs: 1,
          notes: [],
          counters: { published: 0, acked: 0, received: 0, duplicates: 0, pending: 0 },
        },
      },
      { type: 'scenarioEnd', result: endResult.result },
      { type: 'scenarioStart', info: scenario },
      { type: 'stepStart', scenario, step: { ref: 1, kind: 'wait', label: 'wait 1s' } },
      { type: 'runEnd', summary: empty, reason: 'interrupted' },
      { type: 'runEnd', summary: empty, reason: 'passed' },
    ];
    await replay(h.reporter, events);
    assert.ok(h.output().length > 0, `${name} produced no output`);
  });
}

test('JUnit: matches the committed snapshot (timestamp, hostname and time masked)', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'reports', 'junit.xml');
  await replay(
    createJUnitReporter({ outputFile: file, mqscenVersion: '0.0.0-test', cwd: root }),
    recordedRun,
  );
  const xml = stabilize(readFileSync(file, 'utf8'));
  const snapshot = join(fixtures, 'junit.snapshot.xml');
  if (update) writeFileSync(snapshot, xml);
  assert.equal(xml, readFileSync(snapshot, 'utf8'));
});

/**
 * `xsd` with the testcase `file` and `line` attributes declared: the only deviation the default
 * report makes from either schema (the attributes GitHub annotators read; `strict` drops them).
 */
function withLocationAttributes(xsd: string, dir: string): string {
  const text = readFileSync(join(root, 'test/xsd', xsd), 'utf8');
  const junit10 =
    '<xs:attribute name="group" type="xs:string"/>\n        </xs:complexType>\n    </xs:element>\n\n    <xs:element name="testsuite">';
  let patched: string;
  if (xsd === 'junit-10.xsd') {
    assert.ok(text.includes(junit10), 'junit-10.xsd testcase declaration found');
    patched = text.replace(
      junit10,
      junit10.replace(
        '<xs:attribute name="group" type="xs:string"/>',
        '<xs:attribute name="group" type="xs:string"/><xs:attribute name="file" type="xs:string"/><xs:attribute name="line" type="xs:int"/>',
      ),
    );
  } else {
    const anchor = /(<xs:attribute name="time" type="xs:decimal" use="required">[\s\S]*?<\/xs:attribute>)/;
    assert.match(text, anchor);
    patched = text.replace(
      anchor,
      '$1<xs:attribute name="file" type="xs:string"/><xs:attribute name="line" type="xs:int"/>',
    );
  }
  const file = join(dir, `located-${xsd}`);
  writeFileSync(file, patched);
  return file;
}

for (const xsd of ['junit-10.xsd', 'JUnit.xsd']) {
  const xmllint = spawnSync('xmllint', ['--version']);
  const skip =
    xmllint.error === undefined
      ? false
      : 'xmllint not installed (apt-get install libxml2-utils); CI installs it';
  test(`JUnit: the strict report of the recorded run is valid against ${xsd} as published`, {
    skip,
  }, async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'junit.xml');
    await replay(createJUnitReporter({ outputFile: file, strict: true }), recordedRun);
    const text = readFileSync(file, 'utf8');
    assert.doesNotMatch(text, / line="/);
    const r = spawnSync('xmllint', ['--noout', '--schema', join(root, 'test/xsd', xsd), file], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `${xsd}: ${r.stderr}\n${text}`);
  });
  test(`JUnit: the default report is valid against ${xsd} plus testcase file and line`, {
    skip,
  }, async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'junit.xml');
    await replay(createJUnitReporter({ outputFile: file }), recordedRun);
    const text = readFileSync(file, 'utf8');
    assert.match(text, /<testcase [^>]*file="scenarios\/qos\/offline-qos0.yaml" line="21"/);
    const schema = withLocationAttributes(xsd, dir);
    const r = spawnSync('xmllint', ['--noout', '--schema', schema, file], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${xsd}: ${r.stderr}\n${text}`);
    // And the published schema rejects nothing else: only the two attributes differ.
    const strict = spawnSync('xmllint', ['--noout', '--schema', join(root, 'test/xsd', xsd), file], {
      encoding: 'utf8',
    });
    const complaints = strict.stderr.split('\n').filter((l) => /Schemas validity error/.test(l));
    assert.ok(complaints.length > 0, 'the published schema does not declare file/line');
    assert.deepEqual(
      complaints.filter((l) => !/attribute '(file|line)' is not allowed/.test(l)),
      [],
    );
  });
}

test('JUnit: mapping of testsuites, testcases, failures, skips and errors', () => {
  const end = recordedRun.at(-1);
  assert.ok(end?.type === 'runEnd');
  const xml = buildJUnitReport(end.summary, { hostname: 'host', mqscenVersion: '9.9.9', cwd: root });
  assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites>\n/);
  assert.equal(xml.match(/<testsuite /g)?.length, 3);
  assert.match(
    xml,
    /<testcase classname="qos\/offline-qos0" name="no-loss" time="2.06" file="scenarios\/qos\/offline-qos0.yaml" line="21">\s*<failure message="got 3 lost: publisher#1..#3 \(expected by subscriber\)" type="no-loss"><!\[CDATA\[expected: every message published while subscriber was offline reaches it after reconnect\ngot: 3 lost: publisher#1..#3 \(expected by subscriber\)\n\npublisher#1/,
  );
  // Every testcase carries the scenario's time, never a constant 0.
  assert.doesNotMatch(xml, /<testcase [^>]*time="0"/);
  assert.match(xml, /<skipped message="only evaluated on behaviour aws-iot; this target is mosquitto"\/>/);
  assert.match(
    xml,
    /<testcase classname="will" name="scenario" time="1.23">\s*<error message="scenario interrupted: interrupted by Ctrl\+C during step \[2\] wait 60s" type="E_INTERRUPTED">/,
  );
  assert.match(xml, /<property name="protocols" value="3.1.1,5"\/>/);
  assert.match(xml, /<property name="mqscen.version" value="9.9.9"\/>/);
  assert.match(
    xml,
    /<system-out>\+0.000s {2}\[1\] connect all {2}passed in 38ms; 4 connected; sessionPresent=false/,
  );
  // The failing step's scenario has a failed assertion, so no extra `scenario` testcase there.
  assert.equal(xml.match(/name="scenario"/g)?.length, 1);
});

test('JUnit: a scenario failing only in a step gets a `scenario` testcase with a failure', () => {
  const end = recordedRun.at(-1);
  assert.ok(end?.type === 'runEnd');
  const failing = end.summary.scenarios[1];
  assert.ok(failing !== undefined);
  const onlyStep = { ...failing, assertions: failing.assertions.filter((a) => a.status === 'passed') };
  const xml = buildJUnitReport({ ...end.summary, scenarios: [onlyStep] }, { hostname: 'h' });
  assert.match(xml, /failures="1"/);
  assert.match(
    xml,
    /<failure message="step \[5\] settle \(timeout 2s\) failed: settle timed out after 2s with 3 pending" type="step">/,
  );
});

test('plain: matches the committed snapshot and has no ANSI codes without colour', async () => {
  const out = captureStream();
  await replay(createPlainReporter({ stream: out.stream, color: false }), recordedRun);
  const text = out.text();
  assert.ok(!text.includes(ANSI), 'no ANSI escape');
  const snapshot = join(fixtures, 'plain.snapshot.txt');
  if (update) writeFileSync(snapshot, text);
  assert.equal(text, readFileSync(snapshot, 'utf8'));
});

test('plain: colour only on a TTY without NO_COLOR', async () => {
  const run = async (isTTY: boolean, env: Record<string, string>): Promise<string> => {
    const out = captureStream();
    (out.stream as { isTTY?: boolean }).isTTY = isTTY;
    await replay(createPlainReporter({ stream: out.stream, env }), recordedRun);
    return out.text();
  };
  assert.ok((await run(true, {})).includes(`${ANSI}31m`), 'red on a TTY');
  assert.ok(!(await run(true, { NO_COLOR: '1' })).includes(ANSI), 'no colour with NO_COLOR');
  assert.ok(!(await run(false, {})).includes(ANSI), 'no colour when piped');
});

test('JSON: the summary with schema version, mqscen version and every scenario', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'a', 'b', 'results.json');
  await replay(await createReporter('json', { outputFile: file, mqscenVersion: '1.2.3' }), recordedRun);
  const doc = JSON.parse(readFileSync(file, 'utf8')) as {
    schemaVersion: number;
    mqscen: { version: string };
    reason: string;
    scenarios: Array<{ name: string; status: string; assertions: Array<{ details: string[] }> }>;
  };
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.mqscen.version, '1.2.3');
  assert.equal(doc.reason, 'interrupted');
  assert.deepEqual(
    doc.scenarios.map((s) => s.status),
    ['passed', 'failed', 'interrupted'],
  );
  assert.equal(doc.scenarios[1]?.assertions[0]?.details.length, 3);
});

test('no report contains a secret from the target (password in URL, token in query, password field)', async (t) => {
  const dir = tempDir(t);
  const events = withSecretTarget(recordedRun);
  for (const name of reporterNames) {
    const h = await harness(name, join(dir, name));
    await replay(h.reporter, events);
    const output = h.output();
    assert.ok(output.length > 0, `${name} wrote nothing`);
    for (const secret of SECRETS) assert.ok(!output.includes(secret), `${name} wrote ${secret}:\n${output}`);
    if (name !== 'live') assert.match(output, /broker\.example/, `${name} still shows the host`);
  }
});

// --- internal ---

/** Masks what differs between runs and machines (style rule 9). */
function stabilize(xml: string): string {
  return xml
    .replace(/ timestamp="[^"]*"/g, ' timestamp="MASKED"')
    .replace(/ hostname="[^"]*"/g, ' hostname="MASKED"')
    .replace(/ time="[^"]*"/g, ' time="MASKED"');
}

test('plain: scenarios that never started (target down) still get a verdict line', async () => {
  const end = recordedRun.at(-1);
  assert.ok(end?.type === 'runEnd');
  const first = end.summary.scenarios[0];
  assert.ok(first !== undefined);
  const errored = {
    ...first,
    status: 'errored' as const,
    steps: [],
    assertions: [],
    error: { code: 'E_TRANSPORT', message: 'connect ECONNREFUSED 127.0.0.1:9' },
  };
  const out = captureStream();
  const reporter = createPlainReporter({ stream: out.stream, color: false });
  await reporter.onRunEnd?.({ ...end.summary, scenarios: [errored], reason: 'failed' }, 'failed');
  assert.equal(
    out.text(),
    '■ errored  shared-subscription message queuing: connect ECONNREFUSED 127.0.0.1:9  (530ms)  (scenarios/queuing.yaml)\n' +
      '0 passed, 0 failed, 1 errored (1 scenario) in 5.3s\n',
  );
});

test('plain: a long step prints its counters now and then, never more often than asked', async () => {
  const out = captureStream();
  const reporter = createPlainReporter({ stream: out.stream, color: false, progressIntervalMs: 50 });
  const scenario = {
    file: 'scenarios/a.yaml',
    name: 'a',
    steps: [{ ref: 1, kind: 'settle', label: 'settle ≤ 5s' }],
  };
  const c = { published: 20, acked: 20, received: 7, duplicates: 0, pending: 13 };
  await reporter.onStepStart?.(scenario, scenario.steps[0] ?? { ref: 1, kind: 'settle', label: '' });
  reporter.onStepProgress?.(scenario, { ref: 1 }, c); // too early: nothing
  await new Promise((r) => setTimeout(r, 80));
  reporter.onStepProgress?.(scenario, { ref: 1 }, c);
  reporter.onStepProgress?.(scenario, { ref: 1 }, c); // too soon after the last line: nothing
  const lines = out.text().trimEnd().split('\n');
  assert.equal(lines.length, 1, out.text());
  assert.match(
    lines[0] ?? '',
    /^ {2}… \[1\] settle ≤ 5s {2}\d+ms {2}published 20 · acked 20 · received 7 · pending 13$/,
  );
});

test('JUnit: a long observation gives a short one-line failure message; the body has it all', () => {
  const actual = `120 lost: ${Array.from({ length: 40 }, (_, i) => `publisher#${i + 1}`).join(', ')}\nsecond line`;
  const message = shortFailureMessage({ expected: 'no loss', actual });
  assert.ok(message.length <= MESSAGE_MAX, message);
  assert.ok(message.startsWith('got 120 lost: publisher#1, publisher#2'));
  assert.ok(message.endsWith('…'));
  assert.doesNotMatch(message, /\n/);
  assert.equal(shortFailureMessage({ expected: 'x', actual: 'y' }), 'got y');
});
