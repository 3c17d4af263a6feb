/**
 * Topic names and filters: validation, shared-subscription parsing and a single-filter matcher
 * (the subscription index uses qlobber for the many-filters case).
 */

/**
 * [MQTT-4.7.1-1] wildcards are not allowed in topic names; [MQTT-4.7.3-1] at least one character;
 * [MQTT-4.7.3-2] no U+0000; at most `maxLevels` levels (0 = no bound).
 */
export function isValidTopicName(topic: string, maxLevels = 0): boolean {
  if (topic.length === 0) return false;
  if (maxLevels > 0 && levelCount(topic) > maxLevels) return false;
  return !topic.includes('+') && !topic.includes('#') && !topic.includes('\u0000');
}

/**
 * [MQTT-4.7.1-2] `#` last and alone in its level; [MQTT-4.7.1-3] `+` alone in its level;
 * [MQTT-4.7.3-1] non-empty; at most `maxLevels` levels (0 = no bound).
 */
export function isValidTopicFilter(filter: string, maxLevels = 0): boolean {
  if (filter.length === 0 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  if (maxLevels > 0 && levels.length > maxLevels) return false;
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as string;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return false;
    if (level.includes('+') && level !== '+') return false;
  }
  return true;
}

export interface SharedFilter {
  shareName: string;
  topicFilter: string;
}

/**
 * `$share/{ShareName}/{filter}` [MQTT-4.8.2-1, MQTT-4.8.2-2], SS-2. Returns null for a plain filter
 * and 'invalid' for a malformed shared one.
 */
export function parseSharedFilter(filter: string, maxLevels = 0): SharedFilter | null | 'invalid' {
  if (!filter.startsWith('$share/')) return filter === '$share' ? 'invalid' : null;
  const rest = filter.slice('$share/'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return 'invalid';
  const shareName = rest.slice(0, slash);
  const topicFilter = rest.slice(slash + 1);
  if (/[+#]/.test(shareName) || !isValidTopicFilter(topicFilter, maxLevels)) return 'invalid';
  return { shareName, topicFilter };
}

/** True when the filter contains no wildcard (R-3 exact-match retained delivery). */
export function isExactFilter(filter: string): boolean {
  return !filter.includes('+') && !filter.includes('#');
}

/**
 * Does `filter` match `topic`? [MQTT-4.7.2-1] a filter starting with a wildcard never matches a
 * `$` topic. `parentMatchesMultiLevel` = `a/#` matches `a` [MQTT-4.7.1-2] (AWS T-2 says no).
 */
export function topicMatches(filter: string, topic: string, parentMatchesMultiLevel = true): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    // `#` matches the remaining levels, and the parent level itself unless T-2 applies.
    if (level === '#') return i < t.length || parentMatchesMultiLevel;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * T-3 / QUO-17 (aws-iot): a topic name or filter over `maxBytes` bytes or `maxSlashes` slashes,
 * counted without the Basic Ingest prefix `$aws/rules/{rule}/` (T-3) — for shared filters the
 * caller passes the TopicFilter, without `$share/{name}/` (SS-3). Returns what is wrong, or undefined.
 */
export function topicLimitProblem(topic: string, maxBytes: number, maxSlashes: number): string | undefined {
  let counted = topic;
  if (counted.startsWith('$aws/rules/')) {
    const end = counted.indexOf('/', '$aws/rules/'.length);
    counted = end === -1 ? '' : counted.slice(end + 1);
  }
  if (maxBytes > 0) {
    const bytes = Buffer.byteLength(counted);
    if (bytes > maxBytes) return `${bytes} bytes, more than ${maxBytes}`;
  }
  if (maxSlashes > 0) {
    let slashes = 0;
    for (let i = 0; i < counted.length; i++) if (counted.charCodeAt(i) === 47) slashes++;
    if (slashes > maxSlashes) return `${slashes} slashes, more than ${maxSlashes}`;
  }
  return undefined;
}

/** Number of levels of a topic name or filter (`a/b` has 2). */
export function levelCount(topic: string): number {
  let n = 1;
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 47) n++;
  return n;
}
