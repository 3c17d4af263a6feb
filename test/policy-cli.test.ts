/**
 * `mqscen policy check` and policy enforcement as a user sees them (built CLI): the original
 * suite's policy passes scenarios/queuing.yaml; without its Receive statement the check fails
 * before anything connects, and a run fails naming iot:Receive and the `$share` resource.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import mqtt from 'mqtt';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin', 'mqscen.js');
const original = join(root, 'scenarios/policies/original-suite-policy.json');
const SHARE_RESOURCE = 'topic/$share/message-queuing-group/test/shared/messages';

function mqscen(args: string[], cwd = root) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    env: { ...process.env, CI: 'true', NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function workdir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-policy-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const doc = JSON.parse(readFileSync(original, 'utf8')) as { Statement: Array<{ Action: string[] }> };
  doc.Statement = doc.Statement.filter((s) => !s.Action.includes('iot:Receive'));
  writeFileSync(join(dir, 'no-receive.json'), JSON.stringify(doc, null, 2));
  return dir;
}

test('policy check: the original suite policy allows everything scenarios/queuing.yaml needs (exit 0)', () => {
  const r = mqscen(['policy', 'check', '--policy', original, 'scenarios/queuing.yaml']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /✔ allow {2}iot:Receive +topic\/\$share\/message-queuing-group\/test\/shared\/messages/,
  );
  assert.match(r.stdout, /statement 4 of .*original-suite-policy\.json \(line 7\)/);
  assert.match(r.stdout, /policy check passed/);
  assert.equal(r.stderr, '');
});

test('policy check: without the Receive statement it exits 1 naming iot:Receive on the $share resource, and warns', (t) => {
  const dir = workdir(t);
  const r = mqscen(['policy', 'check', '--policy', join(dir, 'no-receive.json'), 'scenarios/queuing.yaml']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.ok(r.stdout.includes(`✖ DENY   iot:Receive    ${SHARE_RESOURCE}`), r.stdout);
  assert.match(
    r.stdout,
    /for subscriber\[1\], subscriber\[2\], subscriber\[3\]: delivery of step 2; no statement of .*no-receive\.json allows it/,
  );
  assert.match(r.stdout, /policy check failed: 1 check goes against the scenarios/);
  assert.match(
    r.stderr,
    /no-receive\.json:\d+:\d+ +Statement\[2\] +warning: +Subscribe is granted on topicfilter\/\$share\/message-queuing-group\/test\/shared\/messages but no statement grants iot:Receive/,
  );
});

test('policy check: a broken policy is exit 2 with file:line:col; lint warns about +/#, topic/ for Subscribe, iot:* on *, $${…}', (t) => {
  const dir = workdir(t);
  writeFileSync(
    join(dir, 'bad.json'),
    '{"Version":"2012-10-17","Statement":[\n{"Effect":"Allow","Action":"iot:Subscribe","Resource":"arn:aws:iot:*:*:topicfilters/a"}]}',
  );
  const bad = mqscen(['policy', 'check', '--policy', 'bad.json', join(root, 'scenarios/queuing.yaml')], dir);
  assert.equal(bad.code, 2, bad.stdout + bad.stderr);
  assert.match(
    bad.stderr,
    /bad\.json:2:55 +Statement\[0\]\.Resource +malformed ARN.*did you mean "topicfilter\/"/,
  );
  writeFileSync(
    join(dir, 'sloppy.json'),
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'iot:*', Resource: '*' },
        { Effect: 'Allow', Action: 'iot:Subscribe', Resource: 'arn:aws:iot:*:*:topic/test/#' },
        { Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/$${iot:ClientId}/x' },
      ],
    }),
  );
  const sloppy = mqscen(
    ['policy', 'check', '--policy', 'sloppy.json', join(root, 'scenarios/queuing.yaml')],
    dir,
  );
  assert.equal(sloppy.code, 0, sloppy.stdout + sloppy.stderr);
  for (const warning of [
    /iot:\* on "\*" allows every client everything/,
    /iot:Subscribe is checked on topicfilter\/<filter>, never on topic\/<name>/,
    /"\+"\/"#" in arn:aws:iot:\*:\*:topic\/test\/# are literal characters/,
    /Terraform's escape/,
  ]) {
    assert.match(sloppy.stderr, warning);
  }
});

test('policy check: a client id outside the Connect resource is denied, with the Connect resources named', (t) => {
  const dir = workdir(t);
  writeFileSync(
    join(dir, 'intruder.yaml'),
    [
      'name: intruder',
      'clients:',
      '  intruder: { clientId: someone-else, protocol: 5 }',
      '  guest: { clientId: message-queuing-test-guest, protocol: 5 }',
      'steps:',
      '  - connect: all',
      'expect:',
      '  - reason-code: { packet: connack, clients: intruder, codes: [0x87] }',
      '',
    ].join('\n'),
  );
  const r = mqscen(['policy', 'check', '--policy', original, 'intruder.yaml'], dir);
  // The scenario expects the refusal: exit 0, and the line says so.
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /✔ DENY {3}iot:Connect +client\/someone-else\n.*\(expected by the scenario\)/);
  writeFileSync(
    join(dir, 'intruder.yaml'),
    readFileSync(join(dir, 'intruder.yaml'), 'utf8').replace(/expect:[\s\S]*/, ''),
  );
  const needed = mqscen(['policy', 'check', '--policy', original, 'intruder.yaml'], dir);
  assert.equal(needed.code, 1, needed.stdout);
  assert.match(
    needed.stdout,
    /the Connect resources \(client\/message-queuing-test-\*\) do not cover client id "someone-else"/,
  );
});

test('run: the policy without Receive fails the scenario (exit 1) and the message names iot:Receive on the $share resource', (t) => {
  const dir = workdir(t);
  writeFileSync(join(dir, 'targets.yaml'), 'local: { kind: embedded, policy: no-receive.json }\n');
  writeFileSync(
    join(dir, 'shared.yaml'),
    [
      'name: shared delivery',
      'clients:',
      '  member:',
      '    clientId: message-queuing-test-member',
      '    protocol: 5',
      '    subscriptions: [{ filter: "$share/message-queuing-group/test/shared/messages", qos: 1 }]',
      '  publisher: { clientId: message-queuing-test-publisher }',
      'steps:',
      '  - connect: all',
      '  - publish: { from: publisher, topic: test/shared/messages, count: 3, qos: 1 }',
      '  - settle: { timeout: 1s }',
      'expect:',
      '  - no-loss: {}',
      '',
    ].join('\n'),
  );
  const r = mqscen(
    [
      'run',
      'shared.yaml',
      '--targets',
      'targets.yaml',
      '--target',
      'local',
      '--junit',
      'j.xml',
      '--json',
      'r.json',
    ],
    dir,
  );
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.ok(
    r.stderr.includes(`refused by policy: iot:Receive on ${SHARE_RESOURCE} for message-queuing-test-member`),
    r.stderr,
  );
  assert.match(r.stderr, /no statement of no-receive\.json allows it \(implicit deny\)/);
  const results = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as {
    scenarios: Array<{ policyRefusals?: Array<{ action: string; resource: string; packet: string }> }>;
  };
  assert.deepEqual(
    results.scenarios[0]?.policyRefusals?.map((p) => [p.packet, p.action, p.resource]),
    [['receive', 'iot:Receive', SHARE_RESOURCE]],
  );
  // JUnit consumers see it too, in the scenario's system-out.
  assert.ok(
    readFileSync(join(dir, 'j.xml'), 'utf8').includes(
      `refused by policy: iot:Receive on ${SHARE_RESOURCE} for message-queuing-test-member`,
    ),
  );
  // The full policy: the same scenario passes.
  writeFileSync(
    join(dir, 'targets.yaml'),
    `local: { kind: embedded, policy: ${JSON.stringify(original)} }\n`,
  );
  const ok = mqscen(
    ['run', 'shared.yaml', '--targets', 'targets.yaml', '--target', 'local', '--no-junit', '--no-json'],
    dir,
  );
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
});

/** `mqscen broker … --policy FILE` on a free port; resolves with its mqtt:// URL and what it printed. */
async function startPolicyBroker(policy: string, t: { after: (fn: () => void) => void }) {
  const child = spawn(
    process.execPath,
    [bin, 'broker', '--port', '0', '--profile', 'aws-iot', '--policy', policy],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 15 s:\n${stdout}`)), 15_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const found = /mqtt:\/\/127\.0\.0\.1:[1-9]\d*/.exec(stdout);
      if (found) {
        clearTimeout(timer);
        resolveUrl(found[0]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited early (${code}):\n${stdout}`));
    });
  });
  return { url, stdout };
}

test('mqscen broker --profile aws-iot --policy FILE enforces the policy on every client', async (t) => {
  const { url, stdout } = await startPolicyBroker(original, t);
  assert.match(stdout, /profile aws-iot, policy .*original-suite-policy\.json/);
  const opts = { reconnectPeriod: 0, connectTimeout: 3000, protocolVersion: 5 as const };
  const member = await mqtt.connectAsync(url, { ...opts, clientId: 'message-queuing-test-1' });
  await member.endAsync();
  await assert.rejects(
    mqtt.connectAsync(url, { ...opts, clientId: 'intruder' }),
    (e: { code?: number }) => e.code === 0x87,
  );
  const refused = spawnSync(
    process.execPath,
    [bin, 'broker', '--profile', 'mosquitto', '--policy', original],
    {
      encoding: 'utf8',
      timeout: 20_000,
    },
  );
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /--policy takes AWS IoT policies/);
});

test('run: a CONNECT refused by policy on MQTT 3.1.1 (connection closed, POL-10) is exit 1 and names iot:Connect and the statement search', (t) => {
  const dir = workdir(t);
  writeFileSync(
    join(dir, 'intruder.yaml'),
    `name: intruder\npolicy: ${JSON.stringify(original)}\nclients:\n  a: { clientId: someone-else, protocol: 3.1.1 }\nsteps:\n  - connect: all\n`,
  );
  const r = mqscen(['run', 'intruder.yaml', '--no-junit', '--no-json'], dir);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /refused by policy: iot:Connect on client\/someone-else for someone-else: no statement of .*original-suite-policy\.json allows it/,
  );
});

test('scenarios/policy-refusals.yaml fails on aws-iot when the policy does not refuse (an allow-all policy attached by the target)', (t) => {
  const dir = workdir(t);
  writeFileSync(
    join(dir, 'all.json'),
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }],
    }),
  );
  writeFileSync(join(dir, 'targets.yaml'), 'open: { kind: embedded, policy: all.json }\n');
  const r = mqscen(
    [
      'run',
      join(root, 'scenarios/policy-refusals.yaml'),
      '--targets',
      'targets.yaml',
      '--target',
      'open',
      '--no-junit',
      '--json',
      'r.json',
    ],
    dir,
  );
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const results = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as {
    scenarios: Array<{ assertions: Array<{ label: string; status: string }> }>;
  };
  assert.deepEqual(
    results.scenarios[0]?.assertions.map((a) => a.status),
    ['passed', 'passed', 'failed', 'failed', 'failed', 'failed', 'skipped'],
  );
});

test("authorized/denied read the broker's answer where it keeps no policy log (a URL target with AWS IoT behaviour); an allow-all broker fails them", async (t) => {
  const dir = workdir(t);
  const demo = join(root, 'scenarios/policies/policy-demo.json');
  const run = (url: string) => {
    writeFileSync(join(dir, 'targets.yaml'), `remote: { kind: url, url: "${url}", behaviour: aws-iot }\n`);
    return mqscen(
      [
        'run',
        join(root, 'scenarios/policy-refusals.yaml'),
        '--targets',
        'targets.yaml',
        '--target',
        'remote',
        '--no-junit',
        '--json',
        'r.json',
      ],
      dir,
    );
  };
  const enforcing = await startPolicyBroker(demo, t);
  const ok = run(enforcing.url);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  writeFileSync(
    join(dir, 'all.json'),
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }],
    }),
  );
  const open = await startPolicyBroker(join(dir, 'all.json'), t);
  const bad = run(open.url);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  const results = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as {
    scenarios: Array<{ assertions: Array<{ kind: string; status: string; actual: string }> }>;
  };
  const denied = results.scenarios[0]?.assertions.filter((a) => a.kind === 'denied') ?? [];
  assert.deepEqual(
    denied.map((a) => a.status),
    ['failed', 'failed'],
  );
  assert.match(denied[0]?.actual ?? '', /intruder: CONNACK 0x00/);
  assert.match(denied[1]?.actual ?? '', /watcher: received 3 messages/);
});

test('denied subscribe: MQTT 5 SUBACK 0x87 and the MQTT 3.1.1 close are declared refusals (POL-10); with an allowing policy it fails', (t) => {
  const dir = workdir(t);
  writeFileSync(
    join(dir, 'sub.yaml'),
    [
      'name: denied subscribe',
      `policy: ${JSON.stringify(original)}`,
      'clients:',
      '  v5: { clientId: message-queuing-test-v5, protocol: 5 }',
      '  v3: { clientId: message-queuing-test-v3, protocol: 3.1.1 }',
      'steps:',
      '  - connect: all',
      '  - subscribe: { clients: [v5, v3], filter: test/shared/messages, qos: 1 }',
      '  - subscribe: { clients: v5, filter: "$share/message-queuing-group/test/shared/messages", qos: 1 }',
      'expect:',
      '  - denied: { clients: [v5, v3], action: subscribe, topic: test/shared/messages }',
      '  - authorized: { client: v5, action: subscribe, topic: "$share/message-queuing-group/test/shared/messages" }',
      '',
    ].join('\n'),
  );
  const ok = mqscen(['run', 'sub.yaml', '--no-junit', '--no-json'], dir);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  writeFileSync(
    join(dir, 'all.json'),
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }],
    }),
  );
  writeFileSync(join(dir, 'targets.yaml'), 'open: { kind: embedded, policy: all.json }\n');
  const bad = mqscen(
    ['run', 'sub.yaml', '--targets', 'targets.yaml', '--target', 'open', '--no-junit', '--json', 'r.json'],
    dir,
  );
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  const results = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as {
    scenarios: Array<{ assertions: Array<{ status: string; actual: string }> }>;
  };
  assert.deepEqual(
    results.scenarios[0]?.assertions.map((a) => a.status),
    ['failed', 'passed'],
  );
  assert.match(results.scenarios[0]?.assertions[0]?.actual ?? '', /2 of 2 clients not refused/);
});

test("validate and run: a scenario's broken or missing policy: is invalid input (exit 2) at file:line:col, before anything runs", (t) => {
  const dir = workdir(t);
  writeFileSync(
    join(dir, 'bad.json'),
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Conect","Resource":"*"}]}',
  );
  const scenario = (policy: string) =>
    `name: x\npolicy: ${policy}\nclients:\n  a: { clientId: a }\nsteps:\n  - connect: all\n`;
  writeFileSync(join(dir, 'bad.yaml'), scenario('bad.json'));
  writeFileSync(join(dir, 'missing.yaml'), scenario('nope.json'));
  const bad = mqscen(['run', 'bad.yaml', '--no-junit', '--no-json'], dir);
  assert.equal(bad.code, 2, bad.stdout + bad.stderr);
  assert.match(
    bad.stderr,
    /bad\.json:1:65 +Statement\[0\]\.Action +unknown action "iot:Conect"; did you mean "iot:Connect"\?/,
  );
  assert.match(bad.stderr, /bad\.yaml:2:9 +policy +policy bad\.json has 1 problem/);
  assert.match(bad.stderr, /nothing was run/);
  const missing = mqscen(['validate', 'missing.yaml'], dir);
  assert.equal(missing.code, 2, missing.stdout + missing.stderr);
  assert.match(missing.stderr, /missing\.yaml:2:9 +policy +policy file .*nope\.json cannot be read/);
});
