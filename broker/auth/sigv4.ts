/**
 * Verification of an AWS SigV4 presigned WebSocket upgrade (`GET /mqtt?X-Amz-...`), as AWS IoT
 * Core checks it (A-4), against a table of test credentials. Plugs into the broker's `wss`
 * listener as `verifyUpgrade(req)`.
 *
 * Written from the SigV4 specification with node:crypto, independently of the signer the
 * clients use (@smithy/signature-v4 and the AWS CRT), so each checks the other in the tests.
 */

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import createDebug from 'debug';

const debug = createDebug('mqscen:broker:sigv4');

export interface SigV4TestCredential {
  secretAccessKey: string;
  /** When set, the request must carry exactly this X-Amz-Security-Token. */
  sessionToken?: string;
  /** Principal reported to the authorizer. @default the access key id */
  principal?: string;
}

export interface SigV4VerifierOptions {
  /** accessKeyId → secret (and optional session token). */
  credentials: Readonly<Record<string, SigV4TestCredential>>;
  /** Region(s) of this endpoint; a signature scoped to another region is refused. */
  region: string | readonly string[];
  /** Service in the credential scope. @default 'iotdevicegateway' */
  service?: string;
  /** Accepted distance between X-Amz-Date and now, ms. @default 900000 (15 min) */
  maxSkewMs?: number;
  /** Request path the signature must be for. @default '/mqtt' */
  path?: string;
  /**
   * Also accept a signature whose canonical query included X-Amz-Security-Token (some
   * third-party signers sign it; AWS's own do not, A-4). @default true
   */
  acceptSignedSessionToken?: boolean;
  /** Clock, ms since epoch. @default Date.now */
  now?: () => number;
}

export type SigV4Verdict =
  | { ok: true; principal: string; accessKeyId: string; region: string }
  | { ok: false; status: 403; message: string };

/** What a request needs to carry for verification (a subset of IncomingMessage). */
export interface UpgradeRequestLike {
  method?: string | undefined;
  url?: string | undefined;
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

/** Returns a `verifyUpgrade(req)` for the broker's wss listener. */
export function createSigV4Verifier(options: SigV4VerifierOptions): (req: IncomingMessage) => SigV4Verdict {
  return (req) => verifySigV4Request(req, options);
}

/** Verifies one presigned upgrade request. Every refusal names what was wrong (never a secret). */
export function verifySigV4Request(req: UpgradeRequestLike, options: SigV4VerifierOptions): SigV4Verdict {
  const verdict = check(req, options);
  if (verdict.ok) debug('accepted SigV4 upgrade from %s', verdict.accessKeyId);
  else debug('refused SigV4 upgrade: %s', verdict.message);
  return verdict;
}

// --- internal ---

function deny(message: string): SigV4Verdict {
  return { ok: false, status: 403, message };
}

function check(req: UpgradeRequestLike, options: SigV4VerifierOptions): SigV4Verdict {
  const service = options.service ?? 'iotdevicegateway';
  const regions = typeof options.region === 'string' ? [options.region] : options.region;
  const expectedPath = options.path ?? '/mqtt';
  const method = (req.method ?? 'GET').toUpperCase();
  if (method !== 'GET') return deny(`method ${method} not allowed: a WebSocket upgrade is a GET`);
  const host = req.headers.host;
  if (typeof host !== 'string' || host === '') return deny('missing Host header: SigV4 signs the host');
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const queryText = q < 0 ? '' : raw.slice(q + 1);
  if (path !== expectedPath) return deny(`path "${path}" is not ${expectedPath}`);

  const params = parseQuery(queryText);
  if (params === undefined) return deny('malformed query string (bad percent-encoding)');
  const get = (name: string): string | undefined => {
    const all = params.filter(([k]) => k === name);
    return all.length === 1 ? all[0]?.[1] : undefined;
  };
  const algorithm = get('X-Amz-Algorithm');
  const credential = get('X-Amz-Credential');
  const amzDate = get('X-Amz-Date');
  const signedHeaders = get('X-Amz-SignedHeaders');
  const signature = get('X-Amz-Signature');
  const token = get('X-Amz-Security-Token');
  const expires = get('X-Amz-Expires');
  if (!algorithm || !credential || !amzDate || !signedHeaders || !signature) {
    return deny(
      'not a SigV4 presigned URL: X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders and X-Amz-Signature are each required once',
    );
  }
  if (algorithm !== ALGORITHM)
    return deny(`unsupported X-Amz-Algorithm "${algorithm}", expected ${ALGORITHM}`);

  // Credential = <AKID>/<yyyymmdd>/<region>/<service>/aws4_request
  const scope = credential.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request') {
    return deny(
      'malformed X-Amz-Credential: expected <access key id>/<yyyymmdd>/<region>/<service>/aws4_request',
    );
  }
  const [accessKeyId, scopeDate, region, scopeService] = scope as [string, string, string, string];
  if (scopeService !== service)
    return deny(`wrong service "${scopeService}" in the credential scope, expected "${service}"`);
  if (!regions.includes(region)) {
    return deny(
      `wrong region "${region}" in the credential scope; this endpoint serves ${regions.map((r) => `"${r}"`).join(', ')}`,
    );
  }
  const known = Object.hasOwn(options.credentials, accessKeyId)
    ? options.credentials[accessKeyId]
    : undefined;
  if (!known) return deny(`unknown access key id "${accessKeyId}"`);

  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined) return deny(`malformed X-Amz-Date "${amzDate}", expected yyyymmddTHHMMSSZ`);
  if (amzDate.slice(0, 8) !== scopeDate)
    return deny(`X-Amz-Date ${amzDate} does not match the credential scope date ${scopeDate}`);
  const now = (options.now ?? Date.now)();
  const skew = options.maxSkewMs ?? 15 * 60_000;
  if (signedAt > now + skew)
    return deny(`signature date ${amzDate} is in the future (more than ${skew / 1000} s ahead)`);
  if (expires !== undefined) {
    if (!/^\d{1,6}$/.test(expires)) return deny(`malformed X-Amz-Expires "${expires}", expected seconds`);
    if (now > signedAt + Number(expires) * 1000)
      return deny(`signature expired: signed ${amzDate}, valid ${expires} s`);
  } else if (now > signedAt + skew) {
    return deny(`signature expired: signed ${amzDate}, more than ${skew / 1000} s ago`);
  }

  // A-4 names host as the signed header; the AWS CRT also signs the upgrade's other headers
  // (seen: "connection;host"), so any header present on the request may be signed, host must be.
  const headerNames = signedHeaders.split(';');
  if (!headerNames.includes('host')) return deny(`X-Amz-SignedHeaders "${signedHeaders}" must include host`);
  const sorted = [...headerNames].sort();
  if (headerNames.some((n, i) => n !== sorted[i] || n !== n.toLowerCase() || n === '')) {
    return deny(`X-Amz-SignedHeaders "${signedHeaders}" must be lowercase names, sorted, separated by ";"`);
  }
  let canonicalHeaders = '';
  for (const name of headerNames) {
    const value = req.headers[name];
    if (value === undefined) return deny(`signed header "${name}" is missing from the request`);
    const text = Array.isArray(value) ? value.join(',') : value;
    canonicalHeaders += `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
  }

  if (known.sessionToken !== undefined && token !== known.sessionToken) {
    return deny(
      token === undefined
        ? `access key id "${accessKeyId}" is temporary and needs X-Amz-Security-Token`
        : `X-Amz-Security-Token does not belong to access key id "${accessKeyId}"`,
    );
  }

  const signingKey = deriveKey(known.secretAccessKey, scopeDate, region, scopeService);
  const stringToSignFor = (withToken: boolean): string => {
    const query = params.filter(
      ([k]) => k !== 'X-Amz-Signature' && (withToken || k !== 'X-Amz-Security-Token'),
    );
    const canonicalRequest = [
      'GET',
      canonicalUri(path),
      canonicalQuery(query),
      canonicalHeaders,
      signedHeaders,
      EMPTY_SHA256,
    ].join('\n');
    return [ALGORITHM, amzDate, scope.slice(1).join('/'), sha256Hex(canonicalRequest)].join('\n');
  };
  const matches = (withToken: boolean): boolean =>
    safeEqualHex(
      createHmac('sha256', signingKey).update(stringToSignFor(withToken)).digest('hex'),
      signature,
    );
  // A-4: AWS's signers leave the token out of the canonical query; accept the signed form only if asked.
  const ok =
    matches(false) || (token !== undefined && options.acceptSignedSessionToken !== false && matches(true));
  if (!ok) {
    return deny(
      `signature does not match for access key id "${accessKeyId}" (check the secret key, host "${host}", and that nothing rewrote the URL)`,
    );
  }
  return { ok: true, principal: known.principal ?? accessKeyId, accessKeyId, region };
}

/** Decodes `a=b&c=d` into pairs, keeping order and repeats; undefined on bad percent-encoding. */
function parseQuery(text: string): Array<[string, string]> | undefined {
  const out: Array<[string, string]> = [];
  if (text === '') return out;
  try {
    for (const part of text.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      // '+' is a literal plus in SigV4 URLs (signers encode spaces as %20).
      const k = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
      const v = decodeURIComponent(eq < 0 ? '' : part.slice(eq + 1));
      out.push([k, v]);
    }
  } catch {
    return undefined;
  }
  return out;
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** Non-S3 services encode each path segment (after decoding what the client encoded). */
function canonicalUri(path: string): string {
  return path
    .split('/')
    .map((seg) => {
      try {
        return rfc3986(rfc3986(decodeURIComponent(seg)));
      } catch {
        return rfc3986(seg);
      }
    })
    .join('/');
}

function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(t) ? undefined : t;
}

function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

function deriveKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

function safeEqualHex(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
