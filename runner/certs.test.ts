import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import tls from 'node:tls';
import {
  type CertificateSet,
  certificateId,
  commonNameOf,
  createForeignCa,
  ensureCertificates,
  issueClientCertificate,
  runCertsCommand,
} from './certs.js';
import { UsageError } from './errors.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mqscen-certs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('ensureCertificates creates a CA and a localhost server certificate with SAN, valid now', async (t) => {
  const dir = await tempDir(t);
  const set = await ensureCertificates(dir);
  const ca = new X509Certificate(set.caCert);
  const server = new X509Certificate(set.serverCert);
  assert.equal(ca.ca, true);
  assert.equal(server.ca, false);
  const now = Date.now();
  assert.ok(Date.parse(server.validFrom) <= now && now < Date.parse(server.validTo));
  assert.ok(Date.parse(ca.validTo) > now + 365 * 24 * 3600 * 1000);
  assert.match(server.subjectAltName ?? '', /DNS:localhost/);
  assert.match(server.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
  assert.equal(server.checkHost('localhost'), 'localhost');
  assert.equal(server.checkHost('example.com'), undefined);
  assert.equal(server.checkIP('127.0.0.1'), '127.0.0.1');
  // Chain: the server certificate is signed by the CA, not self-signed.
  assert.equal(server.verify(ca.publicKey), true);
  assert.equal(server.verify(server.publicKey), false);
  assert.equal(server.checkIssued(ca), true);
  // Files on disk match the returned text; keys are private to the user.
  assert.equal(await readFile(set.paths.serverCert, 'utf8'), set.serverCert);
  assert.equal(await readFile(set.paths.caKey, 'utf8'), set.caKey);
  assert.equal((await stat(set.paths.caKey)).mode & 0o777, 0o600);
  assert.equal((await stat(set.paths.serverKey)).mode & 0o777, 0o600);
  assert.match(set.serverKey, /^-----BEGIN PRIVATE KEY-----/);
});

test('ensureCertificates reuses a valid set and regenerates a broken one', async (t) => {
  const dir = await tempDir(t);
  const first = await ensureCertificates(dir);
  const mtime = (await stat(first.paths.caCert)).mtimeMs;
  const second = await ensureCertificates(dir);
  assert.equal(second.caCert, first.caCert);
  assert.equal(second.serverKey, first.serverKey);
  assert.equal((await stat(first.paths.caCert)).mtimeMs, mtime);

  // A server key that does not match the server certificate makes the set unusable.
  const other = await ensureCertificates(await tempDir(t));
  await writeFile(first.paths.serverKey, other.serverKey);
  const third = await ensureCertificates(dir);
  assert.notEqual(third.caCert, first.caCert);
  assert.equal(new X509Certificate(third.serverCert).checkPrivateKey(await importKey(third.serverKey)), true);

  // A corrupt file too.
  await writeFile(third.paths.caCert, 'not a certificate');
  const fourth = await ensureCertificates(dir);
  assert.notEqual(fourth.caCert, third.caCert);
  assert.equal(
    new X509Certificate(fourth.serverCert).verify(new X509Certificate(fourth.caCert).publicKey),
    true,
  );
});

test('concurrent ensureCertificates calls agree on one set', async (t) => {
  const dir = await tempDir(t);
  const sets = await Promise.all([ensureCertificates(dir), ensureCertificates(dir), ensureCertificates(dir)]);
  for (const s of sets) assert.equal(s.caCert, sets[0]?.caCert);
});

test('concurrent processes on one folder end with one consistent set (lock file)', async (t) => {
  const dir = await tempDir(t);
  const certsModule = new URL('./certs.ts', import.meta.url).pathname;
  const script = [
    `import { ensureCertificates } from ${JSON.stringify(certsModule)};`,
    "import { createHash } from 'node:crypto';",
    `const s = await ensureCertificates(${JSON.stringify(dir)});`,
    "process.stdout.write(createHash('sha256').update(s.caCert + s.serverCert).digest('hex'));",
  ].join('\n');
  const run = () =>
    new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { timeout: 30_000 },
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      );
    });
  const digests = await Promise.all([run(), run(), run()]);
  assert.equal(new Set(digests).size, 1, 'every process got the same set');
  const onDisk = await ensureCertificates(dir);
  const { createHash } = await import('node:crypto');
  assert.equal(
    createHash('sha256')
      .update(onDisk.caCert + onDisk.serverCert)
      .digest('hex'),
    digests[0],
  );
  assert.equal(
    new X509Certificate(onDisk.serverCert).verify(new X509Certificate(onDisk.caCert).publicKey),
    true,
  );
});

test('issueClientCertificate: CN = thing name, clientAuth, signed by the local CA; expired on demand', async (t) => {
  const set = await ensureCertificates(await tempDir(t));
  const client = await issueClientCertificate(set, { commonName: 'sensor-1' });
  const cert = new X509Certificate(client.cert);
  assert.equal(commonNameOf(client.cert), 'sensor-1');
  assert.match(cert.subject, /CN=sensor-1/);
  assert.ok(cert.keyUsage?.includes('1.3.6.1.5.5.7.3.2'), 'clientAuth EKU');
  assert.equal(cert.verify(new X509Certificate(set.caCert).publicKey), true);
  assert.equal(client.certificateId, certificateId(client.cert));
  assert.match(client.certificateId, /^[0-9a-f]{64}$/);
  assert.ok(client.paths);
  assert.equal(await readFile(client.paths.cert, 'utf8'), client.cert);
  assert.equal((await stat(client.paths.key)).mode & 0o777, 0o600);

  const expired = await issueClientCertificate(set, {
    commonName: 'old-device',
    notBefore: new Date(Date.now() - 10 * 86400_000),
    notAfter: new Date(Date.now() - 86400_000),
    write: false,
  });
  assert.equal(expired.paths, undefined);
  assert.ok(Date.parse(new X509Certificate(expired.cert).validTo) < Date.now());

  await assert.rejects(issueClientCertificate(set, { commonName: '../escape' }), UsageError);
});

test('runCertsCommand returns the paths and issues a device certificate', async (t) => {
  const dir = await tempDir(t);
  const result = await runCertsCommand({ dir, issue: 'thing-a' });
  assert.equal(result.dir, dir);
  assert.ok(result.issued);
  assert.equal(commonNameOf(await readFile(result.issued.cert, 'utf8')), 'thing-a');
  assert.match(await readFile(result.paths.caCert, 'utf8'), /BEGIN CERTIFICATE/);
});

async function importKey(pem: string) {
  const { createPrivateKey } = await import('node:crypto');
  return createPrivateKey(pem);
}

/** A TLS server requiring client certificates from the local CA; resolves with the peer CN per connection. */
async function startMtlsServer(t: { after: (fn: () => Promise<void>) => void }, set: CertificateSet) {
  const peers: string[] = [];
  const server = tls.createServer(
    { ca: set.caCert, cert: set.serverCert, key: set.serverKey, requestCert: true, rejectUnauthorized: true },
    (socket) => {
      const cn = socket.getPeerCertificate().subject?.CN;
      peers.push(Array.isArray(cn) ? cn.join(',') : String(cn));
      socket.end('hello');
    },
  );
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as AddressInfo).port, peers };
}

/** Connects and reads until close; resolves 'hello' on success, rejects on a TLS error; bounded. */
function tryClient(port: number, opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...opts });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('timeout'));
    }, 5000);
    let data = '';
    socket.on('data', (d) => {
      data += d.toString();
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      if (data === 'hello') resolve(data);
      else reject(new Error('closed without greeting'));
    });
  });
}

test('mTLS handshake: local device certificate accepted, foreign CA and expired certificates rejected', async (t) => {
  const set = await ensureCertificates(await tempDir(t));
  const { port, peers } = await startMtlsServer(t, set);

  const device = await issueClientCertificate(set, { commonName: 'thing-42', write: false });
  assert.equal(await tryClient(port, { ca: set.caCert, cert: device.cert, key: device.key }), 'hello');
  assert.deepEqual(peers, ['thing-42']);

  // The client verifies the server against the CA by name: localhost SAN matches.
  await assert.rejects(
    tryClient(port, { cert: device.cert, key: device.key }),
    /self[- ]signed|unable to (get|verify)/i,
  );

  const foreign = await createForeignCa();
  const intruder = await foreign.issueClientCertificate({ commonName: 'thing-42', write: false });
  await assert.rejects(tryClient(port, { ca: set.caCert, cert: intruder.cert, key: intruder.key }));

  const expired = await issueClientCertificate(set, {
    commonName: 'thing-old',
    notBefore: new Date(Date.now() - 10 * 86400_000),
    notAfter: new Date(Date.now() - 86400_000),
    write: false,
  });
  await assert.rejects(tryClient(port, { ca: set.caCert, cert: expired.cert, key: expired.key }));

  // No certificate at all.
  await assert.rejects(tryClient(port, { ca: set.caCert }));
  assert.deepEqual(peers, ['thing-42']);
});

test('EC P-256 keys work too', async (t) => {
  const set = await ensureCertificates(await tempDir(t), { keyAlgorithm: 'ec-p256' });
  assert.match(new X509Certificate(set.serverCert).publicKey.asymmetricKeyType ?? '', /ec/);
  const { port } = await startMtlsServer(t, set);
  const device = await issueClientCertificate(set, {
    commonName: 'ec-thing',
    keyAlgorithm: 'ec-p256',
    write: false,
  });
  assert.equal(await tryClient(port, { ca: set.caCert, cert: device.cert, key: device.key }), 'hello');
});
