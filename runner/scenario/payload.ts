/**
 * Payloads as scenario files write them (`publish.payload`, `will.payload`, `retained.payload`):
 * text, JSON or a size, and whether mqscen's identity header goes in front (`identity`).
 */

import type { Problem } from '../document/problem.js';
import type { DocPath } from '../document/yaml.js';
import type { Payload } from './schema-types.js';
import type { PayloadIdentity, PayloadSpec } from './types.js';

/**
 * Longest identity header mqscen puts in front of a payload, bytes:
 * `mqscen1 <8-char run id> <publisher up to 4 digits> <sequence up to 9 digits> <13-digit ms>\n`.
 * A `size` payload with the header counts it, so it must be at least this large. Pinned against
 * the header format of runner/verdict/identity.ts by payload.test.ts.
 */
export const IDENTITY_HEADER_MAX_BYTES = 46;

/** The resolved payload; `expand` substitutes `{n}`, `{name}`, `{run}` (wills). */
export function payloadSpec(p: Payload | undefined, expand: (text: string) => string): PayloadSpec {
  if (p === undefined) return { kind: 'text', text: '' };
  if (typeof p === 'string') return { kind: 'text', text: expand(p) };
  if (p.text !== undefined) return { kind: 'text', text: expand(p.text) };
  if (p.size !== undefined) return { kind: 'size', bytes: p.size };
  return { kind: 'json', value: p.json };
}

/** `payload: ""` is an empty payload on the wire: no identity header (a retained delete, [MQTT-3.3.1-6]). */
export function payloadIdentity(
  p: Payload | undefined,
  written: PayloadIdentity | undefined,
): PayloadIdentity {
  if (written !== undefined) return written;
  return isEmptyPayload(p) ? 'none' : 'header';
}

/**
 * What the schema cannot say about a payload and its identity: an empty payload cannot carry the
 * header, and a `size` with the header must leave room for it.
 */
export function payloadProblems(
  p: Payload | undefined,
  written: PayloadIdentity | undefined,
  path: DocPath,
): Problem[] {
  if (isEmptyPayload(p) && written === 'header') {
    return [
      {
        path: [...path, 'identity'],
        message:
          'an empty payload carries nothing, not even the identity header (it is what deletes a retained message [MQTT-3.3.1-6]); remove `identity: header`, or give a payload',
      },
    ];
  }
  const size = typeof p === 'object' && p !== null ? p.size : undefined;
  if (size !== undefined && payloadIdentity(p, written) === 'header' && size < IDENTITY_HEADER_MAX_BYTES) {
    return [
      {
        path: [...path, 'payload', 'size'],
        message: `size ${size} bytes is smaller than mqscen's identity header (up to ${IDENTITY_HEADER_MAX_BYTES} bytes, counted in the size); use size >= ${IDENTITY_HEADER_MAX_BYTES}, or identity: none to send exactly ${size} bytes without the header`,
      },
    ];
  }
  return [];
}

// --- internal ---

/** `payload: ""` or `payload: { text: "" }` (not an absent payload: that is the header alone). */
function isEmptyPayload(p: Payload | undefined): boolean {
  return p === '' || (typeof p === 'object' && p !== null && p.text === '');
}
