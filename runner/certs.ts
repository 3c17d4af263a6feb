/**
 * Local certificates for the embedded broker and its clients: a CA, a server certificate for
 * `localhost` / `127.0.0.1`, and device certificates on demand (CN = thing name, as AWS IoT
 * uses it, A-3). Generated in-process with @peculiar/x509 over Node's WebCrypto (no openssl
 * subprocess), written as PEM files (keys mode 0600), and reused while still valid.
 *
 * Keys are RSA 2048 with SHA-256 by default: every TLS stack mqscen talks through accepts them
 * (Node's OpenSSL, and the AWS CRT used by aws-iot-device-sdk-v2, whose s2n build reads PKCS#8 RSA
 * keys). `keyAlgorithm: 'ec-p256'` is available for callers that want smaller/faster keys.
 */

// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import {
  createHash,
  createPrivateKey,
  X509Certificate as NodeX509,
  randomBytes,
  webcrypto,
} from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as x509 from '@peculiar/x509';
import createDebug from 'debug';
import { EnvironmentError, UsageError } from './errors.js';

const debug = createDebug('mqscen:certs');

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type KeyAlgorithm = 'rsa-2048' | 'ec-p256';

/** PEM file paths of a certificate set. */
export interface CertificatePaths {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
}

/** The CA and server certificate the embedded broker listens with (PEM text). */
export interface CertificateSet {
  /** Absolute folder holding the files. */
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  paths: CertificatePaths;
}

export interface EnsureCertificatesOptions {
  /** Key algorithm for newly generated keys. @default 'rsa-2048' */
  keyAlgorithm?: KeyAlgorithm;
  /** Regenerate when a certificate expires within this many days. @default 7 */
  renewBeforeDays?: number;
}

export interface ClientCertificateOptions {
  /** Subject CN; the thing name on AWS IoT. Letters, digits, `:_-` (AWS thing-name charset), 1..128. */
  commonName: string;
  /** Validity in days from notBefore. @default 365 */
  days?: number;
  /** Start of validity. @default one hour ago (tolerates small clock skew) */
  notBefore?: Date;
  /** End of validity; may be in the past to make an expired certificate for tests. */
  notAfter?: Date;
  /** Key algorithm. @default 'rsa-2048' */
  keyAlgorithm?: KeyAlgorithm;
  /** Write `<dir>/clients/<CN>.cert.pem` / `.key.pem`. @default true */
  write?: boolean;
}

export interface ClientCertificate {
  /** PEM certificate. */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
  /** File paths, when written. */
  paths: { cert: string; key: string } | undefined;
  /** AWS IoT certificate id: lowercase hex SHA-256 of the DER certificate. */
  certificateId: string;
}

/** A CA unrelated to the local one: its certificates must be refused by the broker (mTLS tests). */
export interface ForeignCa {
  caCert: string;
  caKey: string;
  issueClientCertificate(options: ClientCertificateOptions): Promise<ClientCertificate>;
}

/** Result of `mqscen certs [--issue NAME]`: paths only, printing is the CLI's job. */
export interface CertsCommandResult {
  dir: string;
  paths: CertificatePaths;
  issued?: { commonName: string; cert: string; key: string };
}

/** Default folder for the certificate set, relative to the working directory. */
export const DEFAULT_CERTS_DIR = join('.mqscen', 'certs');

const FILES = {
  caCert: 'ca.cert.pem',
  caKey: 'ca.key.pem',
  serverCert: 'server.cert.pem',
  serverKey: 'server.key.pem',
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;
const CA_DAYS = 3650;
const SERVER_DAYS = 825;
const CLIENT_DAYS = 365;
const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;

/** One in-flight ensure per folder, so concurrent callers in one process share the result. */
const inFlight = new Map<string, Promise<CertificateSet>>();

/**
 * Returns the CA and server certificate in `dir`, creating them when missing, unreadable,
 * mismatched (key vs cert, server vs CA) or about to expire.
 */
export function ensureCertificates(
  dir: string = DEFAULT_CERTS_DIR,
  options: EnsureCertificatesOptions = {},
): Promise<CertificateSet> {
  const abs = resolve(dir);
  const pending = inFlight.get(abs);
  if (pending) return pending;
  const p = ensureLocked(abs, options).finally(() => inFlight.delete(abs));
  inFlight.set(abs, p);
  return p;
}

/** Issues a device certificate signed by the local CA (clientAuth EKU, CN = thing name). */
export async function issueClientCertificate(
  set: CertificateSet,
  options: ClientCertificateOptions,
): Promise<ClientCertificate> {
  const issued = await signClient(set.caCert, set.caKey, options);
  if (options.write === false) return { ...issued, paths: undefined };
  const clientsDir = join(set.dir, 'clients');
  await mkdir(clientsDir, { recursive: true, mode: 0o700 });
  const paths = {
    cert: join(clientsDir, `${options.commonName}.cert.pem`),
    key: join(clientsDir, `${options.commonName}.key.pem`),
  };
  await writeAtomic(paths.key, issued.key, 0o600);
  await writeAtomic(paths.cert, issued.cert, 0o644);
  debug('issued client certificate CN=%s (%s)', options.commonName, paths.cert);
  return { ...issued, paths };
}

/** Creates a throw-away CA that the local broker does not trust (kept in memory only). */
export async function createForeignCa(keyAlgorithm: KeyAlgorithm = 'rsa-2048'): Promise<ForeignCa> {
  const ca = await createCa('mqscen foreign test CA', keyAlgorithm);
  return {
    caCert: ca.cert,
    caKey: ca.key,
    issueClientCertificate: async (options) => ({
      ...(await signClient(ca.cert, ca.key, options)),
      paths: undefined,
    }),
  };
}

/** `mqscen certs [--issue NAME]`: ensures the set, optionally issues a device certificate, returns paths. */
export async function runCertsCommand(
  options: { dir?: string; issue?: string } = {},
): Promise<CertsCommandResult> {
  const set = await ensureCertificates(options.dir);
  const result: CertsCommandResult = { dir: set.dir, paths: set.paths };
  if (options.issue !== undefined) {
    const client = await issueClientCertificate(set, { commonName: options.issue });
    if (client.paths) result.issued = { commonName: options.issue, ...client.paths };
  }
  return result;
}

/** AWS IoT certificate id of a PEM certificate: lowercase hex SHA-256 of its DER bytes. */
export function certificateId(certPem: string): string {
  return createHash('sha256').update(new NodeX509(certPem).raw).digest('hex');
}

/** Subject CN of a PEM or DER certificate, or undefined when it has none. */
export function commonNameOf(cert: string | Uint8Array): string | undefined {
  const parsed = new x509.X509Certificate(cert);
  const cn = parsed.subjectName.getField('CN');
  return cn[0];
}

// --- internal ---

async function ensureLocked(dir: string, options: EnsureCertificatesOptions): Promise<CertificateSet> {
  const paths: CertificatePaths = {
    caCert: join(dir, FILES.caCert),
    caKey: join(dir, FILES.caKey),
    serverCert: join(dir, FILES.serverCert),
    serverKey: join(dir, FILES.serverKey),
  };
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw new EnvironmentError(`cannot create the certificate folder ${dir}`, {
      cause,
      hint: 'choose a writable folder (mqscen certs --dir <folder>) or fix its permissions',
    });
  }
  const renewMs = (options.renewBeforeDays ?? 7) * DAY_MS;
  const existing = await loadValid(dir, paths, renewMs);
  if (existing) {
    debug('reusing certificates in %s', dir);
    return existing;
  }
  // Another process (a parallel test file, a second CLI) may be generating the same set:
  // serialize through a lock file so CA and server certificate always belong together.
  const release = await acquireLock(join(dir, '.lock'));
  try {
    const again = await loadValid(dir, paths, renewMs);
    if (again) return again;
    debug('generating certificates in %s', dir);
    const alg = options.keyAlgorithm ?? 'rsa-2048';
    const ca = await createCa('mqscen local CA', alg);
    const server = await signServer(ca.cert, ca.key, alg);
    await writeAtomic(paths.caKey, ca.key, 0o600);
    await writeAtomic(paths.serverKey, server.key, 0o600);
    await writeAtomic(paths.caCert, ca.cert, 0o644);
    await writeAtomic(paths.serverCert, server.cert, 0o644);
    return { dir, caCert: ca.cert, caKey: ca.key, serverCert: server.cert, serverKey: server.key, paths };
  } finally {
    await release();
  }
}

async function loadValid(
  dir: string,
  paths: CertificatePaths,
  renewMs: number,
): Promise<CertificateSet | undefined> {
  let texts: string[];
  try {
    texts = await Promise.all(
      [paths.caCert, paths.caKey, paths.serverCert, paths.serverKey].map((p) => readFile(p, 'utf8')),
    );
  } catch {
    return undefined;
  }
  const [caCert, caKey, serverCert, serverKey] = texts as [string, string, string, string];
  try {
    const ca = new NodeX509(caCert);
    const server = new NodeX509(serverCert);
    const horizon = Date.now() + renewMs;
    if (Date.parse(ca.validTo) < horizon || Date.parse(server.validTo) < horizon) return undefined;
    if (!ca.checkPrivateKey(createPrivateKey(caKey))) return undefined;
    if (!server.checkPrivateKey(createPrivateKey(serverKey))) return undefined;
    if (!server.verify(ca.publicKey)) return undefined;
    if (!server.checkHost('localhost') || !server.checkIP('127.0.0.1')) return undefined;
  } catch (err) {
    debug('existing certificates in %s unusable, regenerating: %s', dir, (err as Error).message);
    return undefined;
  }
  return { dir, caCert, caKey, serverCert, serverKey, paths };
}

async function acquireLock(lockPath: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    // A lock left by a crashed process is older than any generation takes (a few seconds).
    const info = await stat(lockPath).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > 20_000) await rm(lockPath, { force: true });
    if (Date.now() > deadline) {
      throw new EnvironmentError(`timed out waiting for the certificate lock ${lockPath}`, {
        hint: 'delete the lock file if no other mqscen process is running',
      });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode); // the umask may have narrowed or the file may have existed
  await rename(tmp, path);
}

function keyParams(alg: KeyAlgorithm): webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams {
  return alg === 'ec-p256'
    ? { name: 'ECDSA', namedCurve: 'P-256' }
    : {
        name: 'RSASSA-PKCS1-v1_5',
        hash: 'SHA-256',
        publicExponent: new Uint8Array([1, 0, 1]),
        modulusLength: 2048,
      };
}

function signingAlgorithm(key: webcrypto.CryptoKey): webcrypto.Algorithm | webcrypto.EcdsaParams {
  return key.algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' };
}

async function generateKeys(alg: KeyAlgorithm): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(keyParams(alg), true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
}

async function exportKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** Imports a PKCS#8 PEM private key as a WebCrypto signing key (algorithm read from the key). */
async function importSigningKey(pem: string): Promise<webcrypto.CryptoKey> {
  const node = createPrivateKey(pem);
  const der = node.export({ type: 'pkcs8', format: 'der' });
  const params: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams =
    node.asymmetricKeyType === 'ec'
      ? { name: 'ECDSA', namedCurve: 'P-256' }
      : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  return webcrypto.subtle.importKey('pkcs8', der, params, false, ['sign']);
}

function serial(): string {
  // Positive 64-bit serial (high bit clear) so every DER parser reads it the same way.
  const bytes = randomBytes(8);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

async function createCa(name: string, alg: KeyAlgorithm): Promise<{ cert: string; key: string }> {
  const keys = await generateKeys(alg);
  const notBefore = new Date(Date.now() - 60 * 60 * 1000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}, O=mqscen`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + CA_DAYS * DAY_MS),
    keys,
    signingAlgorithm: signingAlgorithm(keys.privateKey),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

async function signLeaf(
  caCertPem: string,
  caKeyPem: string,
  alg: KeyAlgorithm,
  subject: string,
  notBefore: Date,
  notAfter: Date,
  extensions: x509.Extension[],
): Promise<{ cert: string; key: string }> {
  const caCert = new x509.X509Certificate(caCertPem);
  const caKey = await importSigningKey(caKeyPem);
  const keys = await generateKeys(alg);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: caCert.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: signingAlgorithm(caKey),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      ...extensions,
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

async function signServer(
  caCert: string,
  caKey: string,
  alg: KeyAlgorithm,
): Promise<{ cert: string; key: string }> {
  const notBefore = new Date(Date.now() - 60 * 60 * 1000);
  return signLeaf(
    caCert,
    caKey,
    alg,
    'CN=localhost, O=mqscen',
    notBefore,
    new Date(notBefore.getTime() + SERVER_DAYS * DAY_MS),
    [
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      // The AWS CRT checks the host against the SAN (it ignores the CN), and clients connect by
      // name or by loopback address.
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
    ],
  );
}

async function signClient(
  caCert: string,
  caKey: string,
  options: ClientCertificateOptions,
): Promise<Omit<ClientCertificate, 'paths'>> {
  if (!THING_NAME.test(options.commonName)) {
    throw new UsageError(
      `invalid device certificate name "${options.commonName}": a thing name is 1..128 letters, digits, ':', '_' or '-'`,
      { hint: 'for example: mqscen certs --issue sensor-1' },
    );
  }
  const notBefore = options.notBefore ?? new Date(Date.now() - 60 * 60 * 1000);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + (options.days ?? CLIENT_DAYS) * DAY_MS);
  const { cert, key } = await signLeaf(
    caCert,
    caKey,
    options.keyAlgorithm ?? 'rsa-2048',
    `CN=${options.commonName}`,
    notBefore,
    notAfter,
    [
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ],
  );
  return { cert, key, certificateId: certificateId(cert) };
}
