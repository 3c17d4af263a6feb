/**
 * Topic name and filter checks for scenario files, with messages that say which level is wrong.
 * Each returns undefined when valid, else the reason.
 */

/** [MQTT-4.7.3-1] non-empty, [MQTT-4.7.3-2] no U+0000, [MQTT-3.3.2-2] no wildcards in a topic name. */
export function checkTopicName(topic: string): string | undefined {
  if (topic.length === 0) return 'a topic name must not be empty [MQTT-4.7.3-1]';
  if (topic.includes('\u0000')) return 'a topic name must not contain U+0000 [MQTT-4.7.3-2]';
  if (/[+#]/.test(topic)) {
    return `topic name "${topic}" contains a wildcard (+ or #); wildcards belong in subscription filters, not in publish topics [MQTT-3.3.2-2]`;
  }
  if (topic.startsWith('$share/') || topic === '$share') {
    return `"${topic}" is a shared-subscription filter, not a topic name: publish to the plain topic (the part after $share/{group}/); publishing to $share/... gets the client disconnected on AWS IoT (SS-13)`;
  }
  if (Buffer.byteLength(topic, 'utf8') > 65535) return 'a topic name is at most 65535 bytes [MQTT-4.7.3-3]';
  return undefined;
}

/** [MQTT-4.7.1-2] `#` last and alone in its level, [MQTT-4.7.1-3] `+` alone in its level; shared syntax SS-2. */
export function checkTopicFilter(filter: string): string | undefined {
  if (filter.length === 0) return 'a topic filter must not be empty [MQTT-4.7.3-1]';
  if (filter.includes('\u0000')) return 'a topic filter must not contain U+0000 [MQTT-4.7.3-2]';
  let plain = filter;
  if (filter === '$share' || filter.startsWith('$share/')) {
    const shared = parseShared(filter);
    if (typeof shared === 'string') return shared;
    plain = shared.filter;
  }
  const levels = plain.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as string;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return `"#" must be the last level of a filter and stand alone in it (in "${filter}"), e.g. "a/b/#" [MQTT-4.7.1-2]`;
    }
    if (level.includes('+') && level !== '+') {
      return `"+" must stand alone in its level (in "${filter}"), e.g. "a/+/c" [MQTT-4.7.1-3]`;
    }
  }
  return undefined;
}

/** `$share/{group}/{filter}` → its parts, or why it is malformed (SS-2, [MQTT-4.8.2-1], [MQTT-4.8.2-2]). */
export function parseShared(filter: string): { group: string; filter: string } | string {
  const example = 'write $share/{group}/{filter}, e.g. $share/workers/jobs/#';
  if (!filter.startsWith('$share/')) return `"${filter}" is not a shared filter; ${example}`;
  const rest = filter.slice('$share/'.length);
  const slash = rest.indexOf('/');
  if (slash === -1) {
    return `shared filter "${filter}" has no topic filter after the group name; ${example} (SS-2)`;
  }
  const group = rest.slice(0, slash);
  const topicFilter = rest.slice(slash + 1);
  if (group.length === 0)
    return `shared filter "${filter}" has an empty group name; ${example} (SS-2, [MQTT-4.8.2-1])`;
  if (/[+#]/.test(group)) {
    return `the group name "${group}" of "${filter}" must not contain + or # (SS-2, [MQTT-4.8.2-2])`;
  }
  if (topicFilter.length === 0) {
    return `shared filter "${filter}" has an empty topic filter after the group name; ${example} (SS-2)`;
  }
  return { group, filter: topicFilter };
}

export function isShared(filter: string): boolean {
  return filter.startsWith('$share/');
}
