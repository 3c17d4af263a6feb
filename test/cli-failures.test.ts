/**
 * End-to-end: a step that fails, fails the scenario, as a user sees it: a broker that never
 * answers, one that goes silent after CONNACK, one killed mid-publish (the embedded broker in its
 * own process, and a real Mosquitto): the exit code, the time it takes and the JUnit error.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { mqscen, startMqscen, tempDir } from './_cli.js';

/** A TCP server that accepts and stays silent, or answers CONNECT with CONNACK and then nothing. */
async function muteBroker(t: { after: (fn: () => void) => void }, mode: 'silent' | 'connack-only') {
  const { createServer } = await import('node:net');
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('data', (data: Buffer) => {
      if (mode !== 'connack-only') return;
      let i = 1;
      while ((data[i] as number) & 0x80) i++;
      socket.write(data[i + 7] === 5 ? Buffer.from([0x20, 3, 0, 0, 0]) : Buffer.from([0x20, 2, 0, 0]));
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;
}

for (const mode of ['silent', 'connack-only'] as const) {
  test(`run --timeout 3s against a broker that ${mode === 'silent' ? 'accepts TCP and never answers' : 'sends CONNACK then goes silent'}: exit 3 within 8 s, JUnit error naming the step`, async (t) => {
    const url = await muteBroker(t, mode);
    const dir = tempDir(t);
    const file = join(dir, 'mute.yaml');
    writeFileSync(
      file,
      'name: mute\nclients:\n  sub: { clientId: mute-sub, subscriptions: [{ filter: mute/#, qos: 1 }] }\n' +
        'steps:\n  - connect: all\n  - settle: { timeout: 30s }\nexpect:\n  - no-loss: {}\n',
    );
    const junit = join(dir, 'junit.xml');
    const r = await mqscen(['run', file, '--target', url, '--timeout', '3s', '--junit', junit, '--no-json'], {
      timeoutMs: 30_000,
    });
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.ok(r.ms < 8000, `ended after ${r.ms} ms`);
    const xml = readFileSync(junit, 'utf8');
    assert.match(xml, /<error message="scenario errored: [^"]*(no CONNACK|no SUBACK)[^"]*"/);
    assert.match(r.stderr, /in step \[1\] connect/);
    assert.doesNotMatch(xml, /<failure/, 'no assertion failure for a broker that never answered');
  });
}

/** A scenario that publishes 2,000 QoS 1 messages at 400/s, for killing the broker mid-burst. */
function burstScenario(dir: string): string {
  const file = join(dir, 'burst.yaml');
  writeFileSync(
    file,
    [
      'name: burst',
      'clients:',
      '  sub: { clientId: burst-sub, subscriptions: [{ filter: burst/t, qos: 1 }] }',
      '  pub: { clientId: burst-pub }',
      'steps:',
      '  - connect: all',
      '  - publish: { from: pub, topic: burst/t, count: 2000, qos: 1, rate: 400/s }',
      '  - settle: { timeout: 5s }',
      'expect:',
      '  - no-loss: {}',
      '',
    ].join('\n'),
  );
  return file;
}

async function killMidPublish(t: { after: (fn: () => void) => void }, url: string, kill: () => void) {
  const dir = tempDir(t);
  const junit = join(dir, 'junit.xml');
  // An observer on the broker says when the burst is under way: 100 messages seen, of 2,000.
  const { connectAsync } = await import('mqtt');
  const observer = await connectAsync(url, { connectTimeout: 5000, reconnectPeriod: 0 });
  t.after(() => observer.end(true));
  await observer.subscribeAsync('burst/t', { qos: 0 });
  let seen = 0;
  const midway = new Promise<void>((res) => {
    observer.on('message', () => {
      if (++seen === 100) res();
    });
  });
  const run = startMqscen(['run', burstScenario(dir), '--target', url, '--junit', junit, '--no-json'], t);
  await Promise.race([
    midway,
    new Promise((_, rej) =>
      setTimeout(() => rej(new Error(`the burst never started:\n${run.output()}`)), 20_000),
    ),
  ]);
  kill();
  const code = await run.exit('the run did not end after the broker was killed', 30_000);
  const out = run.output();
  assert.equal(code, 3, out);
  const xml = readFileSync(junit, 'utf8');
  assert.match(xml, /<error message="scenario errored: [^"]*connection lost/);
  assert.match(xml, /\[2\] publish/);
  assert.doesNotMatch(xml, /<failure/);
}

test('run: the broker (a `mqscen broker` child) killed mid-publish: exit 3, JUnit error naming the publish step', async (t) => {
  const broker = startMqscen(['broker', '--port', '0', '--profile', 'mosquitto'], t);
  const m = await broker.waitFor(/mqtt\s+(mqtt:\/\/127\.0\.0\.1:\d+)/, 'the broker never printed its URL');
  await killMidPublish(t, m[1] as string, () => broker.child.kill('SIGKILL'));
});

test('run: a real Mosquitto killed mid-publish: exit 3, JUnit error naming the publish step', {
  skip: existsSync('/usr/sbin/mosquitto') ? false : 'Mosquitto is not installed',
}, async (t) => {
  const { createServer } = await import('node:net');
  // A free port: Mosquitto cannot listen on port 0.
  const probe = createServer();
  await new Promise<void>((res) => probe.listen(0, '127.0.0.1', res));
  const port = (probe.address() as { port: number }).port;
  await new Promise((res) => probe.close(res));
  const dir = tempDir(t);
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const mosquitto = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => mosquitto.kill('SIGKILL'));
  let log = '';
  mosquitto.stderr.on('data', (d: Buffer) => {
    log += d.toString();
  });
  const { connectAsync } = await import('mqtt');
  // Ready when a client gets in (bounded).
  for (let i = 0; ; i++) {
    try {
      const c = await connectAsync(`mqtt://127.0.0.1:${port}`, { connectTimeout: 1000, reconnectPeriod: 0 });
      await c.endAsync();
      break;
    } catch (error) {
      if (i > 40) throw new Error(`mosquitto did not start: ${log} ${(error as Error).message}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  await killMidPublish(t, `mqtt://127.0.0.1:${port}`, () => mosquitto.kill('SIGKILL'));
});

test('run: a report that cannot be written at the end (its folder replaced during the run) is exit 3 naming the file; the other report is written', async (t) => {
  const { mkdirSync, rmSync } = await import('node:fs');
  const dir = tempDir(t);
  const file = join(dir, 'pause.yaml');
  writeFileSync(
    file,
    'name: pause\nclients:\n  a: { clientId: late-report-a }\nsteps:\n  - connect: all\n  - wait: 1500ms\nexpect: []\n',
  );
  const out = join(dir, 'out');
  mkdirSync(out);
  const junit = join(out, 'junit.xml');
  const json = join(dir, 'results.json');
  const run = startMqscen(['run', file, '--junit', junit, '--json', json], t);
  await run.waitFor(/connect all/, 'the run never connected', 20_000);
  // While the scenario waits, the report folder becomes a file: the JUnit write must fail.
  await new Promise((res) => setTimeout(res, 300));
  rmSync(out, { recursive: true, force: true });
  writeFileSync(out, 'not a folder');
  const code = await run.exit('the run did not end', 30_000);
  const text = run.output();
  assert.equal(code, 3, text);
  assert.match(text, new RegExp(`the JUnit report was not written to ${junit.replaceAll('/', '\\/')}`));
  assert.ok(existsSync(json), 'the JSON results were written all the same');
});
