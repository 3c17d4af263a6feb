/**
 * Settings that make a run trust a broker it has not verified, or hand a secret to anyone on the
 * path. None is an error (a test broker with a self-signed certificate is a fair use), but none may
 * be silent: each is printed when the run starts, written into the JUnit properties and the JSON
 * results (`target.insecure`), and flagged by `mqscen validate --targets`.
 */

export interface InsecurityInput {
  /** The broker URL (scheme and host decide what travels in clear). */
  url?: string;
  /** The target's `rejectUnauthorized` setting, when written. */
  rejectUnauthorized?: boolean;
  /** Whether a password is configured for the target's clients. */
  hasPassword?: boolean;
  /** Whether the connection uses TLS even though the URL does not say so (AWS IoT Core always does). */
  tls?: boolean;
}

/** One sentence per insecure setting, naming the setting and what it lets happen; empty when none. */
export function describeInsecurity(
  input: InsecurityInput,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string[] {
  const found: string[] = [];
  const scheme = schemeOf(input.url);
  const usesTls = input.tls === true || TLS_SCHEMES.has(scheme);
  if (input.rejectUnauthorized === false && usesTls) {
    found.push(
      'TLS certificate verification is off (rejectUnauthorized: false): any server can pose as this broker',
    );
  }
  if (usesTls && env['NODE_TLS_REJECT_UNAUTHORIZED'] === '0') {
    found.push(
      'TLS certificate verification is off for the whole process (NODE_TLS_REJECT_UNAUTHORIZED=0): any server can pose as this broker',
    );
  }
  if (input.hasPassword === true && !usesTls && scheme !== '' && !isLoopback(input.url)) {
    found.push(
      `the password is sent unencrypted (${scheme}:// to a remote host): anyone on the path can read it; use mqtts:// or wss://`,
    );
  }
  return found;
}

// --- internal ---

const TLS_SCHEMES: ReadonlySet<string> = new Set(['mqtts', 'wss', 'ssl', 'tls']);

function schemeOf(url: string | undefined): string {
  const m = /^([a-z]+):\/\//i.exec(url ?? '');
  return m?.[1]?.toLowerCase() ?? '';
}

function isLoopback(url: string | undefined): boolean {
  try {
    const host = new URL(url ?? '').hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\./.test(host);
  } catch {
    return false;
  }
}
