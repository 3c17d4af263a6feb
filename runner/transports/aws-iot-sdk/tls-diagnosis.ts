/**
 * Diagnosis of a failed SDK connect. The CRT says little about TLS ("socket is closed", "TLS
 * negotiation failed", or nothing at all until the timeout on a bad endpoint certificate), so the
 * handshake is repeated with Node's TLS, within the connect bound, and the answer is said in terms
 * of the user's files: the endpoint certificate does not verify against `ca:`, it does not name the
 * host, the endpoint refused the device certificate, nothing listens, or the SigV4 signature was
 * refused.
 */
import net from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import createDebug from 'debug';
import { TransportError } from '../../errors.js';
import { SERVER_CERT_CODES } from '../connect-errors.js';
import { createPresignedUrl, probePresignedUrl } from '../sigv4-url.js';
import { NAME, type ResolvedSettings } from './settings.js';

const debug = createDebug('mqscen:transport:aws-iot-sdk');

/**
 * Repeats the TLS handshake with Node's TLS to say what went wrong, in terms of the user's files:
 * the endpoint certificate does not verify against `ca:`, it does not name the host, the endpoint
 * refused the device certificate, or nothing listens. Bounded; undefined when TLS looks fine.
 */
export async function diagnoseTls(
  settings: ResolvedSettings,
  budgetMs: number,
): Promise<TransportError | undefined> {
  const { options, target, extra, material, sigv4 } = settings;
  const started = Date.now();
  const alpn =
    options.tls?.alpn ??
    (extra.auth === 'mtls'
      ? ['x-amzn-mqtt-ca']
      : extra.auth === 'custom-authorizer' && !target.websocket
        ? ['mqtt']
        : undefined);
  const probe = await probeTls(
    target.host,
    target.port,
    {
      ...(material.ca !== undefined ? { ca: material.ca } : {}),
      ...(extra.auth === 'mtls' && material.cert !== undefined && material.key !== undefined
        ? { cert: material.cert, key: material.key }
        : {}),
      ...(alpn !== undefined ? { ALPNProtocols: alpn } : {}),
      ...(options.tls?.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
    },
    Math.min(1500, Math.max(200, budgetMs / 2)),
  );
  debug('TLS probe of %s: %o', target.shown, probe);
  const who = `client "${options.clientId}"`;
  const caName =
    extra.caPath ?? (material.ca !== undefined ? 'the CA certificate (ca:)' : "the system's trusted CAs");
  const certName = extra.certPath ?? 'the device certificate (cert:)';
  if (probe.kind === 'refused') {
    return new TransportError(`cannot connect ${who} to ${target.shown}: connection refused`, {
      transport: NAME,
      hint: 'nothing listens on that host and port: is the broker running? check the endpoint and port (--target)',
    });
  }
  if (probe.kind === 'unknown-host') {
    return new TransportError(
      `cannot connect ${who} to ${target.shown}: the host name "${target.host}" does not resolve`,
      {
        transport: NAME,
        hint: 'check the endpoint host (AWS IoT: aws iot describe-endpoint --endpoint-type iot:Data-ATS) in --target',
      },
    );
  }
  if (probe.kind === 'server-cert') {
    const altname = probe.code === 'ERR_TLS_CERT_ALTNAME_INVALID';
    return new TransportError(
      altname
        ? `cannot connect ${who} to ${target.shown}: the endpoint's certificate does not name "${target.host}"`
        : `cannot connect ${who} to ${target.shown}: the endpoint's certificate does not verify against ${caName} (${probe.code})`,
      {
        transport: NAME,
        hint: altname
          ? 'connect by a host name the endpoint certificate lists (e.g. localhost for the embedded broker, the ATS endpoint for AWS IoT)'
          : "point ca: at the CA that signed the endpoint's certificate (AmazonRootCA1.pem for AWS IoT Core, .mqscen/certs/ca.cert.pem for the embedded broker)",
      },
    );
  }
  if (probe.kind === 'ok' && sigv4 !== undefined) {
    // TLS is fine: ask the endpoint what it thinks of the signature.
    const presigned = await createPresignedUrl({
      url: `wss://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}${new URL(options.url).pathname}`,
      region: sigv4.region,
      credentials: sigv4.credentials,
    });
    const answer = await probePresignedUrl(
      presigned,
      material.ca !== undefined ? { ca: material.ca } : {},
      Math.max(200, budgetMs - (Date.now() - started)),
    );
    if (answer !== undefined && answer.status !== 101) {
      return new TransportError(
        `cannot connect ${who} to ${target.shown}: the endpoint refused the SigV4-signed WebSocket upgrade (HTTP ${answer.status}${answer.body ? `: ${answer.body}` : ''})`,
        {
          transport: NAME,
          hint: `check region (now "${sigv4.region}"), the AWS credentials (access key id, secret, session token) and the system clock`,
        },
      );
    }
  }
  if (probe.kind === 'client-cert-refused' && extra.auth === 'mtls') {
    return new TransportError(
      `cannot connect ${who} to ${target.shown}: the endpoint refused ${certName} during the TLS handshake`,
      {
        transport: NAME,
        hint: 'the device certificate must be issued by a CA the endpoint trusts, and be registered and ACTIVE (AWS IoT: aws iot describe-certificate)',
      },
    );
  }
  return undefined;
}

type ProbeResult =
  | { kind: 'ok' }
  | { kind: 'refused' }
  | { kind: 'unknown-host' }
  | { kind: 'server-cert'; code: string }
  | { kind: 'client-cert-refused'; detail: string }
  | { kind: 'other'; detail: string };

function probeTls(
  host: string,
  port: number,
  tlsOptions: ConnectionOptions,
  boundMs: number,
): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve) => {
    let done = false;
    let handshaken = false;
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      clearTimeout(bound);
      socket.destroy();
      resolve(r);
    };
    const socket = tlsConnect({
      host,
      port,
      ...(net.isIP(host) === 0 ? { servername: host } : {}),
      rejectUnauthorized: true,
      ...tlsOptions,
    });
    const bound = setTimeout(() => finish({ kind: 'other', detail: 'no answer' }), boundMs);
    socket.on('secureConnect', () => {
      handshaken = true;
      // TLS 1.3: the server checks the client certificate after the handshake; a refusal comes
      // as an alert right after.
      setTimeout(() => finish({ kind: 'ok' }), Math.min(300, boundMs / 2));
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (code === 'ECONNREFUSED') finish({ kind: 'refused' });
      else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') finish({ kind: 'unknown-host' });
      else if (SERVER_CERT_CODES.has(code)) finish({ kind: 'server-cert', code });
      else if (handshaken || /alert|certificate/i.test(err.message) || code === 'ECONNRESET') {
        finish({ kind: 'client-cert-refused', detail: err.message });
      } else finish({ kind: 'other', detail: err.message });
    });
    socket.on('close', () => {
      if (handshaken) finish({ kind: 'client-cert-refused', detail: 'closed after the handshake' });
      else finish({ kind: 'other', detail: 'closed' });
    });
  });
}
