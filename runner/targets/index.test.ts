// biome-ignore-all lint/suspicious/noTemplateCurlyInString: targets files write ${env:NAME} literally
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EnvironmentError, ScenarioError, UsageError } from '../errors.js';
import { parseTargets, resolveTarget } from './index.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-targets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

test('built-in names resolve without a targets file', async (t) => {
  const cwd = tempDir(t);
  for (const [name, kind] of [
    [undefined, 'embedded'],
    ['embedded', 'embedded'],
    ['embedded:aws-iot', 'embedded'],
    ['embedded:mosquitto', 'embedded'],
    ['mosquitto', 'mosquitto'],
    ['mqtt://127.0.0.1:1883', 'url'],
  ] as const) {
    const def = await resolveTarget(name, { cwd, env: {} });
    assert.equal(def.kind, kind, String(name));
  }
});

test('an unknown name is a UsageError listing the known names', async (t) => {
  const cwd = tempDir(t);
  writeFileSync(join(cwd, 'mqscen.targets.yaml'), 'staging:\n  kind: url\n  url: mqtt://staging:1883\n');
  await assert.rejects(resolveTarget('prod', { cwd, env: {} }), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /unknown target "prod"/);
    assert.match(err.message, /"embedded", "embedded:aws-iot", "embedded:mosquitto", "mosquitto", "staging"/);
    return true;
  });
});

test('a url target: paths relative to the targets file, secrets from ${env:}, password never in url', async (t) => {
  const cwd = tempDir(t);
  const sub = join(cwd, 'conf');
  writeFileSync(join(cwd, 'ca.pem'), CA);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(sub);
  writeFileSync(
    join(sub, 'targets.yaml'),
    [
      'local-tls:',
      '  kind: url',
      '  url: mqtts://user:${env:PW}@localhost:8883',
      '  ca: ../ca.pem',
      '  username: ${env:MQ_USER}',
      '  password: ${env:MQ_PASS}',
      '  behaviour: mosquitto',
      '  alpn: x-test',
      '',
    ].join('\n'),
  );
  const def = await resolveTarget('local-tls', {
    cwd,
    targetsFile: 'conf/targets.yaml',
    env: { MQ_USER: 'alice', MQ_PASS: 's3cret', PW: 'urlsecret' },
  });
  const target = await def.start();
  t.after(() => target.close());
  assert.equal(target.kind, 'url');
  assert.equal(target.behaviour, 'mosquitto');
  assert.equal(target.transport, 'mqttjs');
  assert.doesNotMatch(target.url, /s3cret|urlsecret/);
  const conn = target.connectionFor({ name: 'c', username: undefined } as never);
  assert.equal(conn.username, 'alice');
  assert.equal(conn.password, 's3cret');
  assert.equal(conn.tls?.ca, CA);
  assert.deepEqual(conn.tls?.alpn, ['x-test']);
});

test('an unset ${env:NAME} is an EnvironmentError naming the variable and the position', async (t) => {
  const cwd = tempDir(t);
  writeFileSync(
    join(cwd, 'mqscen.targets.yaml'),
    'b:\n  kind: url\n  url: mqtt://h:1\n  password: ${env:NOPE}\n',
  );
  const def = await resolveTarget('b', { cwd, env: {} });
  await assert.rejects(def.start(), (err: unknown) => {
    assert.ok(err instanceof EnvironmentError);
    assert.match(
      err.message,
      /mqscen\.targets\.yaml:4:13 {2}b\.password: environment variable NOPE is not set/,
    );
    return true;
  });
});

test('a missing TLS file is an EnvironmentError naming the setting and file', async (t) => {
  const cwd = tempDir(t);
  writeFileSync(join(cwd, 'mqscen.targets.yaml'), 'b:\n  kind: url\n  url: mqtts://h:1\n  ca: nothere.pem\n');
  const def = await resolveTarget('b', { cwd, env: {} });
  await assert.rejects(def.start(), /target "b": ca file .*nothere\.pem does not exist/);
});

test('targets-file errors are all reported with file:line:column', () => {
  const text = [
    'good:',
    '  kind: url',
    '  url: mqtt://h:1883',
    'bad-url:',
    '  kind: url',
    '  url: http://example.com',
    '  colour: red',
    'literal-secret:',
    '  kind: url',
    '  url: mqtt://h:1',
    '  password: hunter2',
    'wrong-kind:',
    '  kind: rabbit',
    'aws:',
    '  kind: aws-iot',
    '  auth: mtls',
    '',
  ].join('\n');
  assert.throws(
    () => parseTargets('t.yaml', text),
    (err: unknown) => {
      assert.ok(err instanceof ScenarioError);
      assert.equal(err.exitCode, 2);
      const lines = err.issues.map((i) => `${i.line}:${i.column} ${i.path} ${i.message}`);
      const has = (re: RegExp) =>
        assert.ok(
          lines.some((l) => re.test(l)),
          `${re} in\n${lines.join('\n')}`,
        );
      has(/^6:8 bad-url\.url is "http:\/\/example\.com"; write a broker URL/);
      has(/^7:3 bad-url\.colour unknown setting "colour"/);
      has(/^11:13 literal-secret\.password secrets are written only as `\$\{env:NAME\}`/);
      has(/^13:9 wrong-kind\.kind must be "url", "embedded", "mosquitto" or "aws-iot" \(got "rabbit"\)/);
      has(/^15:3 aws missing required setting "cert"/);
      has(/^15:3 aws missing required setting "key"/);
      assert.equal(lines.length, 6, lines.join('\n'));
      return true;
    },
  );
});

test('invalid YAML, empty file and missing --targets file are ScenarioErrors', async (t) => {
  assert.throws(
    () => parseTargets('t.yaml', 'a:\n  kind: url\n  kind: url\n'),
    (err: unknown) => {
      assert.ok(err instanceof ScenarioError);
      assert.equal(err.issues[0]?.line, 3);
      return true;
    },
  );
  assert.throws(() => parseTargets('t.yaml', '# nothing\n'), /is empty/);
  assert.throws(
    () => parseTargets('t.yaml', '- a\n- b\n'),
    (err: unknown) => {
      assert.ok(err instanceof ScenarioError);
      assert.match(err.issues[0]?.message ?? '', /must be a mapping of target names/);
      return true;
    },
  );
  const cwd = tempDir(t);
  await assert.rejects(resolveTarget('x', { cwd, targetsFile: 'missing.yaml', env: {} }), (err: unknown) => {
    assert.ok(err instanceof ScenarioError);
    assert.equal(err.issues[0]?.file, 'missing.yaml');
    assert.match(err.issues[0]?.message ?? '', /file not found/);
    return true;
  });
});

test('aws-iot targets: mTLS on 443 offers ALPN x-amzn-mqtt-ca, sigv4 goes over wss', async (t) => {
  const cwd = tempDir(t);
  writeFileSync(join(cwd, 'c.pem'), CA);
  writeFileSync(join(cwd, 'k.pem'), '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n');
  writeFileSync(
    join(cwd, 'mqscen.targets.yaml'),
    [
      'aws-mtls:',
      '  kind: aws-iot',
      '  auth: mtls',
      '  endpoint: ${env:AWS_IOT_ENDPOINT}',
      '  port: 443',
      '  cert: c.pem',
      '  key: k.pem',
      'aws-wss:',
      '  kind: aws-iot',
      '  auth: sigv4',
      '  transport: mqttjs-sigv4',
      '',
    ].join('\n'),
  );
  const env = { AWS_IOT_ENDPOINT: 'abc-ats.iot.eu-west-1.amazonaws.com' };
  const mtls = await (await resolveTarget('aws-mtls', { cwd, env })).start();
  assert.equal(mtls.url, 'mqtts://abc-ats.iot.eu-west-1.amazonaws.com:443');
  assert.equal(mtls.behaviour, 'aws-iot');
  const c1 = mtls.connectionFor({ name: 'c' } as never);
  assert.deepEqual(c1.tls?.alpn, ['x-amzn-mqtt-ca']);
  assert.equal(c1.transport, 'aws-iot-sdk');
  const wss = await (await resolveTarget('aws-wss', { cwd, env })).start();
  assert.equal(wss.url, 'wss://abc-ats.iot.eu-west-1.amazonaws.com:443/mqtt');
  const c2 = wss.connectionFor({ name: 'c' } as never);
  assert.deepEqual(c2.extra, { auth: 'sigv4', region: 'eu-west-1' });
  assert.equal(c1.extra?.certPath, join(cwd, 'c.pem'));
});
