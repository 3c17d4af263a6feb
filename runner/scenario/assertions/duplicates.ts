/** `duplicates: { max, allow, clients }`: at most `max` duplicates of the classes not allowed. */
import { type AssertionResolver, labelled } from '../resolver.js';

declare module '../types.js' {
  interface AssertionShapes {
    duplicates: {
      max: number;
      /** Duplicate classes that do not count (default redelivery and extra-copy). */
      allow: ReadonlyArray<'redelivery' | 'extra-copy'>;
      clients?: string[];
    };
  }
}

const DEFAULT_ALLOW = ['redelivery', 'extra-copy'] as const;

export const resolveDuplicates: AssertionResolver<'duplicates'> = (raw, path, head, cx) => {
  const body = raw.duplicates ?? {};
  const max = body.max ?? 0;
  const out: ReturnType<AssertionResolver<'duplicates'>> = {
    ...head,
    label: labelled(raw.name, `duplicates ≤ ${max}`),
    kind: 'duplicates',
    max,
    allow: [...(body.allow ?? DEFAULT_ALLOW)],
  };
  if (body.clients !== undefined) out.clients = cx.clients(body.clients, [...path, 'duplicates', 'clients']);
  return out;
};
