/**
 * Shared by the transports' bad-input tests: a connect that must be refused with a TransportError
 * (exit 3) whose message and hint match, that names no secret (message, hint and cause), and that
 * comes within the connect bound.
 */
import assert from 'node:assert/strict';
import { TransportError } from '../runner/errors.js';
import type { ConnectOptions, Transport } from '../runner/transports/transport.js';

export async function expectRefused(
  transport: Transport,
  options: ConnectOptions,
  expected: { message: RegExp; hint?: RegExp | undefined; secrets: readonly string[] },
): Promise<TransportError> {
  const started = Date.now();
  let caught: unknown;
  try {
    const s = await transport.connect(options);
    await s.disconnect({ how: 'abrupt' });
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof TransportError, `expected a TransportError, got ${String(caught)}`);
  assert.equal(caught.exitCode, 3);
  assert.match(caught.message, expected.message);
  if (expected.hint) assert.match(caught.hint ?? '', expected.hint);
  const shown = `${caught.message} ${caught.hint ?? ''} ${caught.cause instanceof Error ? caught.cause.message : ''}`;
  for (const secret of expected.secrets) {
    assert.ok(!shown.includes(secret), `no ${secret.slice(0, 12)}… in the message: ${shown}`);
  }
  assert.ok(Date.now() - started < options.connectTimeoutMs + 500, 'within the connect bound');
  return caught;
}
