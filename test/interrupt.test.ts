/**
 * Ctrl+C at any moment of `mqscen run`, from the first instant mqscen's own code runs to the end of
 * the run: exit 130, a JUnit file valid against the JUnit schema, a JSON file marked interrupted,
 * and never an assertion failure (an interrupted scenario has no verdict).
 *
 * "The first instant" is when bin/mqscen.js has armed its handler (its first statement; the
 * `mqscen:cli` debug line says so). Before that Node itself is still starting, and no program can
 * catch a signal yet.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { bin, root, tempDir } from './_cli.js';

const skip =
  spawnSync('xmllint', ['--version']).error !== undefined
    ? 'xmllint not installed (apt-get install libxml2-utils)'
    : false;

// From the first instant to late in a run of two scenarios (a $share group burst, then a will).
const MOMENTS_MS = [0, 50, 150, 400, 900, 1600];

test('Ctrl+C at any moment of a run: exit 130, valid JUnit and JSON, no assertion failure', {
  skip,
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t);
  let tested = 0;
  for (const moment of MOMENTS_MS) {
    const junit = join(dir, `junit-${moment}.xml`);
    const json = join(dir, `results-${moment}.json`);
    const child = spawn(
      process.execPath,
      [
        bin,
        'run',
        'scenarios/queuing.yaml',
        'scenarios/will.yaml',
        '--junit',
        junit,
        '--junit-strict',
        '--json',
        json,
      ],
      {
        cwd: root,
        env: { ...process.env, CI: 'true', DEBUG: 'mqscen:cli' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    t.after(() => child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    let isClosed = false;
    const closed = new Promise<{ code: number | null; signal: string | null }>((res) =>
      child.on('close', (code, signal) => {
        isClosed = true;
        res({ code, signal });
      }),
    );
    const armed = new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`the handler was never armed:\n${out}`)), 20_000);
      const look = (d: Buffer) => {
        if (!d.toString().includes('Ctrl+C handler armed')) return;
        clearTimeout(timer);
        child.stderr.off('data', look);
        res();
      };
      child.stderr.on('data', look);
    });
    await armed;
    if (moment > 0) await new Promise((res) => setTimeout(res, moment));
    if (isClosed) continue; // the run was over before this moment
    child.kill('SIGINT');
    const end = await Promise.race([
      closed,
      new Promise<never>((_, rej) =>
        setTimeout(() => rej(new Error(`no exit after Ctrl+C at ${moment} ms:\n${out}`)), 30_000),
      ),
    ]);
    tested++;
    const at = `Ctrl+C ${moment} ms after the handler was armed`;
    assert.equal(end.code, 130, `${at}: ${JSON.stringify(end)}\n${out}`);
    assert.ok(existsSync(junit) && existsSync(json), `${at}: both reports written\n${out}`);
    const lint = spawnSync('xmllint', ['--noout', '--schema', join(root, 'test/xsd/junit-10.xsd'), junit], {
      encoding: 'utf8',
    });
    assert.equal(lint.status, 0, `${at}: ${lint.stderr}`);
    const xml = readFileSync(junit, 'utf8');
    assert.doesNotMatch(xml, /<failure/, `${at}: no assertion failure\n${xml}`);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as {
      reason: string;
      scenarios: Array<{ status: string; assertions: Array<{ status: string }> }>;
    };
    assert.equal(doc.reason, 'interrupted', at);
    assert.equal(doc.scenarios.length, 2, `${at}: both scenarios are in the report`);
    assert.ok(
      doc.scenarios.every((s) => s.assertions.every((a) => a.status !== 'failed')),
      `${at}: no failed assertion in the JSON`,
    );
  }
  assert.ok(tested >= 4, `only ${tested} moments fell inside the run`);
});
