/**
 * The assertion resolvers, one per assertion kind (the YAML keyword in `expect`). Adding a kind:
 * its schema entry, its resolver here, its verdict in runner/verdict/assertions (see CONTRIBUTING.md).
 */
import type { DocPath } from '../../document/yaml.js';
import type { AssertionHead, AssertionResolver, ResolveContext } from '../resolver.js';
import type { Assertion } from '../schema-types.js';
import type { AssertionKind, ResolvedAssertion } from '../types.js';
import { resolveAuthorized } from './authorized.js';
import { resolveBrokerStats } from './broker-stats.js';
import { resolveDelivered } from './delivered.js';
import { resolveDenied } from './denied.js';
import { resolveDisconnected } from './disconnected.js';
import { resolveDuplicates } from './duplicates.js';
import { resolveLatency } from './latency.js';
import { resolveNoLoss } from './no-loss.js';
import { resolveNotDelivered } from './not-delivered.js';
import { resolveOrdered } from './ordered.js';
import { resolveReasonCode } from './reason-code.js';
import { resolveReceived } from './received.js';
import { resolveRetained } from './retained.js';
import { resolveSessionPresent } from './session-present.js';
import { resolveSharedGroup } from './shared-group.js';
import { resolveWill } from './will.js';

const RESOLVERS: { [K in AssertionKind]: AssertionResolver<K> } = {
  'no-loss': resolveNoLoss,
  duplicates: resolveDuplicates,
  ordered: resolveOrdered,
  'shared-group': resolveSharedGroup,
  received: resolveReceived,
  'session-present': resolveSessionPresent,
  retained: resolveRetained,
  will: resolveWill,
  'reason-code': resolveReasonCode,
  latency: resolveLatency,
  authorized: resolveAuthorized,
  denied: resolveDenied,
  'not-delivered': resolveNotDelivered,
  disconnected: resolveDisconnected,
  delivered: resolveDelivered,
  'broker-stats': resolveBrokerStats,
};

/** The assertion keywords with a resolver. */
export const ASSERTION_KINDS: readonly AssertionKind[] = Object.keys(RESOLVERS) as AssertionKind[];

/** Resolves `expect`; `broken` holds the indexes the schema refused. */
export function resolveAssertions(
  list: readonly Assertion[],
  broken: ReadonlySet<number>,
  cx: ResolveContext,
): ResolvedAssertion[] {
  const out: ResolvedAssertion[] = [];
  for (const [i, raw] of list.entries()) {
    if (broken.has(i)) continue;
    const kind = ASSERTION_KINDS.find((k) => k in raw);
    if (kind === undefined) continue; // the schema requires exactly one keyword
    const path: DocPath = ['expect', i];
    const head: AssertionHead = { index: i + 1, source: cx.source(path) };
    if (raw.on !== undefined) head.onlyOn = typeof raw.on === 'string' ? [raw.on] : [...raw.on];
    out.push((RESOLVERS[kind] as AssertionResolver<AssertionKind>)(raw, path, head, cx));
  }
  return out;
}
