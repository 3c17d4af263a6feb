/** The client references of `connect:` / `disconnect:` / `reconnect:`: shorthand or `{ clients }`. */
import type { DocPath } from '../../document/yaml.js';

export function shorthandClients(
  value: string | readonly string[] | { clients: string | readonly string[] } | undefined,
  path: DocPath,
): { refs: string | readonly string[]; path: DocPath } {
  if (value === undefined) return { refs: [], path };
  if (typeof value === 'string' || Array.isArray(value))
    return { refs: value as string | readonly string[], path };
  return { refs: (value as { clients: string | readonly string[] }).clients, path: [...path, 'clients'] };
}
