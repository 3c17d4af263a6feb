/**
 * Topic filter matching as the broker does it, so the oracle predicts audiences the same way.
 */

/** `$share/{group}/{filter}` split into its parts [MQTT-4.8.2-1]; undefined for a plain filter. */
export function parseSharedFilter(filter: string): { group: string; filter: string } | undefined {
  if (!filter.startsWith('$share/')) return undefined;
  const rest = filter.slice('$share/'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  return { group: rest.slice(0, slash), filter: rest.slice(slash + 1) };
}

/**
 * Does `filter` (no `$share/` prefix) match topic name `topic`?
 * `+` matches one level, `#` the rest including the parent level [MQTT-4.7.1-2]; wildcards at the
 * first level never match topics beginning with `$` [MQTT-4.7.2-1].
 */
export function matchTopic(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  // Without wildcards only the same string matches; the common case on a large fleet (one
  // filter per group or device), answered without splitting either string.
  if (!filter.includes('+') && !filter.includes('#')) return false;
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true; // also matches the parent: `a/#` matches `a` [MQTT-4.7.1-2]
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
