/**
 * `mqscen broker` end to end: the compiled CLI (bin/mqscen.js → dist/) in its own process. It
 * prints its URL, serves clients under an ACL file, stops on SIGINT with exit 0; bad flags exit 2.
 * dist/ is built first only when it is missing (npm test builds it before the tests).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, test } from 'node:test';
import mqtt from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';

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

/** Starts `mqscen broker` with `args` and resolves with its mqtt URL once it listens. */
async function startCli(
  t: { after: (fn: () => void) => void },
  args: string[],
): Promise<{ url: string; stdout: () => string }> {
  const child = spawn(process.execPath, [bin, 'broker', '--port', '0', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
    child.stdout.on('data', () => {
      const found = /mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
      if (found && found[1] !== '0') {
        clearTimeout(timer);
        resolveUrl(found[0]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited early (${code}):\n${stdout}\n${stderr}`));
    });
  });
  return { url, stdout: () => stdout };
}

test('mqscen broker --config FILE --max-keepalive 1: Server Keep Alive in CONNACK and enforced; flags win over the file [MQTT-3.2.2-21]', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-broker-cfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'broker.yaml');
  writeFileSync(config, 'profile: mosquitto\nsettings:\n  maxKeepAlive: 30\n  receiveMaximum: 9\n');
  const { url, stdout } = await startCli(t, ['--config', config, '--max-keepalive', '1']);
  assert.match(stdout(), /profile mosquitto, config /);
  // A raw client asking for 60 s that then stays silent: CONNACK says 1 s, and 1.5 s of silence closes it.
  const { port } = new URL(url);
  const socket = netConnect(Number(port), '127.0.0.1');
  t.after(() => socket.destroy());
  const packets: Packet[] = [];
  const parser = mqttPacket.parser({ protocolVersion: 5 });
  parser.on('packet', (packet: Packet) => packets.push(packet));
  socket.on('data', (data: Buffer) => parser.parse(data));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolveClose) => {
    const started = Date.now();
    socket.once('close', () => resolveClose(Date.now() - started));
  });
  socket.write(
    mqttPacket.generate({
      cmd: 'connect',
      clientId: 'silent',
      protocolVersion: 5,
      keepalive: 60,
      clean: true,
    }),
  );
  const ms = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 8000))]);
  const connack = packets.find((p) => p.cmd === 'connack') as
    | { properties?: Record<string, unknown> }
    | undefined;
  assert.equal(connack?.properties?.['serverKeepAlive'], 1, 'the flag wins over the file');
  assert.equal(connack?.properties?.['receiveMaximum'], 9, 'the file wins over the profile');
  assert.ok(ms > 0, 'closed for keep alive');
  const disconnect = packets.find((p) => p.cmd === 'disconnect') as { reasonCode?: number } | undefined;
  assert.equal(disconnect?.reasonCode, 0x8d, '[MQTT-3.1.2-22] keep alive timeout');
});

test('mqscen broker: a broken --config file exits 2 with file:line:col; a bad setting flag exits 2 naming it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-broker-cfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'broker.yaml');
  writeFileSync(config, 'profile: mosquitto\nsettings:\n  maxQueued: 10\n  connectTimeout: soon\n');
  const bad = runCli(['broker', '--port', '0', '--config', config]);
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /broker\.yaml:3:3/);
  assert.match(bad.stderr, /maxQueued/);
  assert.match(bad.stderr, /broker\.yaml:4:19/);
  assert.doesNotMatch(bad.stdout, /listening/);
  const flag = runCli(['broker', '--port', '0', '--max-queued', 'lots']);
  assert.equal(flag.status, 2, flag.stderr);
  assert.match(flag.stderr, /--max-queued "lots"/);
});
