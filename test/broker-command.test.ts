/**
 * `mqscen broker` end to end: the compiled CLI (bin/mqscen.js → dist/) in its own process. It
 * prints its URL, serves clients under an ACL file, stops on SIGINT with exit 0; bad flags exit 2.
 * dist/ is built first only when it is missing (npm test builds it before the tests).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, test } from 'node:test';
import mqtt from 'mqtt';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin/mqscen.js');

before(() => {
  if (!existsSync(join(root, 'dist/runner/cli/main.js'))) {
    const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    assert.equal(build.status, 0, `npm run build failed:\n${build.stdout}\n${build.stderr}`);
  }
});

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function exited(child: ChildProcess, ms: number): Promise<Exit> {
  return new Promise((resolvePromise, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolvePromise({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    const timer = setTimeout(() => reject(new Error(`no exit within ${ms} ms`)), ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal });
    });
  });
}

/** Runs the CLI to completion (bounded) and returns its exit code and output. */
function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('mqscen broker --port 0 --acl: prints its URL, serves clients under the ACL, exits 0 on SIGINT', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-broker-cmd-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const acl = join(dir, 'acl.yaml');
  writeFileSync(acl, 'default: allow\nrules:\n  - { action: subscribe, topic: "secret/#", allow: false }\n');

  const child = spawn(
    process.execPath,
    [bin, 'broker', '--port', '0', '--profile', 'mosquitto', '--acl', acl],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 15 s:\n${stdout}\n${stderr}`)), 15_000);
    const check = (): void => {
      const found = /mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
      if (found && found[1] !== '0') {
        clearTimeout(timer);
        resolveUrl(found[0]);
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited early (${code}):\n${stdout}\n${stderr}`));
    });
  });
  assert.match(stdout, /profile mosquitto, ACL /);

  const client = await mqtt.connectAsync(url, {
    clientId: 'cli-e2e',
    reconnectPeriod: 0,
    connectTimeout: 3000,
  });
  t.after(() => {
    client.end(true);
  });
  // The ACL refuses `secret/#`: SUBACK 0x80 on MQTT 3.1.1; other filters are granted.
  const granted = await new Promise<number[]>((resolveAck, reject) => {
    const timer = setTimeout(() => reject(new Error('no SUBACK within 3 s')), 3000);
    client.on('packetreceive', (packet) => {
      if (packet.cmd !== 'suback') return;
      clearTimeout(timer);
      resolveAck(packet.granted as number[]);
    });
    client.subscribe({ 'secret/x': { qos: 1 }, 'open/x': { qos: 1 } }, () => {});
  });
  assert.deepEqual(granted, [0x80, 1]);
  const received = new Promise<string>((resolveMessage, reject) => {
    const timer = setTimeout(() => reject(new Error('no message within 3 s')), 3000);
    client.once('message', (topic) => {
      clearTimeout(timer);
      resolveMessage(topic);
    });
  });
  await client.publishAsync('open/x', 'hello', { qos: 1 });
  assert.equal(await received, 'open/x');

  const closedByBroker = new Promise<void>((resolveClose) => client.once('close', () => resolveClose()));
  child.kill('SIGINT');
  const exit = await exited(child, 5000);
  assert.deepEqual(exit, { code: 0, signal: null }, `stderr:\n${stderr}`);
  assert.match(stdout, /stopping/);
  await Promise.race([closedByBroker, new Promise((r) => setTimeout(r, 2000))]);
  assert.equal(client.connected, false, 'the client was disconnected when the broker stopped');
});

test('mqscen broker: a bad --port exits 2 and names the flag', () => {
  const r = runCli(['broker', '--port', 'abc']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--port "abc" is not a port number/);
  assert.match(r.stderr, /0\.\.65535/);
});

test('mqscen broker: an unreadable or broken --acl file exits 2 before listening', (t) => {
  const missing = runCli(['broker', '--port', '0', '--acl', join(tmpdir(), 'mqscen-no-such-acl.yaml')]);
  assert.equal(missing.status, 2, missing.stderr);
  assert.match(missing.stderr, /cannot read the ACL file/);
  assert.doesNotMatch(missing.stdout, /listening/);

  const dir = mkdtempSync(join(tmpdir(), 'mqscen-broker-cmd-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const broken = join(dir, 'acl.yaml');
  writeFileSync(broken, 'rules:\n  - { action: fly, allow: true }\n');
  const invalid = runCli(['broker', '--port', '0', '--acl', broken]);
  assert.equal(invalid.status, 2, invalid.stderr);
  assert.match(invalid.stderr, /acl\.yaml/);
  assert.doesNotMatch(invalid.stdout, /listening/);
});
