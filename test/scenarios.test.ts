/**
 * Every file under scenarios/ runs in CI against each target it is meant for: the embedded broker
 * with both behaviour profiles, and a real Mosquitto when it is installed (.ci/run installs it).
 * Assertions limited with `on:` make each file assert the right outcome for each broker.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '..');
const scenarioFiles = readdirSync(join(root, 'scenarios'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => `scenarios/${f}`);
const mosquittoInstalled =
  existsSync('/usr/sbin/mosquitto') || spawnSync('sh', ['-c', 'command -v mosquitto']).status === 0;

for (const target of ['embedded', 'embedded:mosquitto', 'mosquitto']) {
  const skip =
    target === 'mosquitto' && !mosquittoInstalled
      ? 'Mosquitto is not installed (apt-get install -y mosquitto)'
      : false;
  test(`every example scenario passes on target ${target}`, { skip, timeout: 240_000 }, (t) => {
    assert.ok(scenarioFiles.length >= 8, 'the example scenarios are there');
    const dir = mkdtempSync(join(tmpdir(), 'mqscen-scenarios-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const json = join(dir, 'results.json');
    const r = spawnSync(
      process.execPath,
      [
        join(root, 'bin/mqscen.js'),
        'run',
        ...scenarioFiles,
        '--target',
        target,
        '--json',
        json,
        '--junit',
        join(dir, 'junit.xml'),
      ],
      { cwd: root, env: { ...process.env, CI: 'true', NO_COLOR: '1' }, encoding: 'utf8', timeout: 220_000 },
    );
    const results = existsSync(json)
      ? (JSON.parse(readFileSync(json, 'utf8')) as { scenarios: Array<{ file: string; status: string }> })
      : { scenarios: [] };
    const notPassed = results.scenarios
      .filter((s) => s.status !== 'passed')
      .map((s) => `${s.file}: ${s.status}`);
    assert.equal(r.status, 0, `${notPassed.join('\n')}\n${r.stdout}\n${r.stderr}`);
    assert.equal(results.scenarios.length, scenarioFiles.length);
  });
}
