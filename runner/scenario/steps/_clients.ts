/** The client references of `connect:` / `disconnect:` / `reconnect:`: shorthand or `{ clients }`. */
import { isObject } from '../../document/value.js';
import type { DocPath } from '../../document/yaml.js';
import type { ResolveContext } from '../resolver.js';
import type { ConnectPace } from '../types.js';
import { parseRate } from './publish.js';

export function shorthandClients(
  value: string | readonly string[] | { clients: string | readonly string[] } | undefined,
  path: DocPath,
): { refs: string | readonly string[]; path: DocPath } {
  if (value === undefined) return { refs: [], path };
  if (typeof value === 'string' || Array.isArray(value))
    return { refs: value as string | readonly string[], path };
  return { refs: (value as { clients: string | readonly string[] }).clients, path: [...path, 'clients'] };
}

/** `rate` and `concurrency` of a `connect:` / `reconnect:` object, or undefined when neither is given. */
export function connectPace(value: unknown, path: DocPath, cx: ResolveContext): ConnectPace | undefined {
  if (!isObject(value)) return undefined;
  const v = value as { rate?: string | number; concurrency?: number };
  if (v.rate === undefined && v.concurrency === undefined) return undefined;
  const pace: ConnectPace = {};
  if (v.rate !== undefined) {
    const rate = parseRate(v.rate);
    if (typeof rate === 'string') cx.error([...path, 'rate'], rate.replace('messages', 'connects'));
    else pace.ratePerSecond = rate;
  }
  if (v.concurrency !== undefined) pace.concurrency = v.concurrency;
  return pace;
}
