/**
 * `no-loss`: every message the broker took reaches its audience. At `qos: 1` (default) that is
 * what MQTT guarantees: QoS ≥ 1 messages acknowledged by the broker reach every matching
 * subscription and exactly one member of each matching shared group, including sessions that were
 * offline and came back [MQTT-4.3.2-1] [MQTT-3.1.2-5]. At `qos: 0` it asks for more than MQTT
 * promises: also QoS 0 messages and messages published while a subscriber was away — so it names
 * what a subscriber missed while offline (the manual procedure's "18-20 of 20" made visible).
 */
import type { EntryOutcome } from '../oracle.js';
import { boundDetails, formatMessages, plural } from './_format.js';
import type { AssertionCheck } from './assertion.js';

function audienceText(o: EntryOutcome): string {
  return o.entry.kind === 'group' ? `group ${o.entry.group}` : o.entry.key;
}

export const checkNoLoss: AssertionCheck<'no-loss'> = (a, ctx) => {
  const names = ctx.oracle.names;
  const counted = (o: EntryOutcome) =>
    o.missing !== undefined &&
    o.entry.qos >= a.minQos &&
    (o.missing.cls === 'lost' || (a.minQos === 0 && o.missing.cls === 'missed'));
  const relevant = ctx.oracle.outcomes.filter((o) => o.entry.qos >= a.minQos);
  const lost = relevant.filter(counted);
  const undetermined = relevant.filter((o) => o.missing?.cls === 'undetermined');
  const lostCount = lost.reduce((n, o) => n + (o.missing?.count ?? 0), 0);
  const undeterminedCount = undetermined.reduce((n, o) => n + (o.missing?.count ?? 0), 0);
  const owed = relevant.reduce((n, o) => n + o.owed, 0);
  const delivered = relevant.reduce((n, o) => n + o.delivered, 0);
  const notOwed = relevant.reduce((n, o) => n + o.notOwed, 0);
  // What MQTT did not owe at this QoS (no session, QoS 0 offline) is in `owed` as the audience's
  // size but is not an obligation: the summary counts only what really was owed.
  const missedCount =
    a.minQos > 0 ? relevant.reduce((n, o) => n + (o.missing?.cls === 'missed' ? o.missing.count : 0), 0) : 0;
  const reallyOwed = owed - missedCount;

  const expected =
    a.minQos === 0
      ? 'every message, QoS 0 included, reaches every subscriber of its topic, also across offline periods'
      : `every QoS≥${a.minQos} message acknowledged by the broker reaches its audience`;
  // At QoS 0 the check goes past the spec: cite what makes an offline session keep (or not) messages.
  const rules = a.minQos === 0 ? ['MQTT-3.1.2-5', 'MQTT-3.1.2-6', 'PS-6'] : ['MQTT-4.3.2-1', 'MQTT-3.1.2-5'];
  if (relevant.some((o) => o.entry.kind === 'group')) rules.push('SS-5', 'MQ-3');

  const details: string[] = [];
  for (const o of lost) {
    const m = o.missing;
    if (m === undefined) continue;
    details.push(
      `lost ${formatMessages(names[o.segment.publisher] ?? '?', m.ranges)} on ${o.segment.topic} ` +
        `(expected by ${audienceText(o)}; ${m.reason})`,
    );
  }
  for (const o of undetermined) {
    const m = o.missing;
    if (m === undefined) continue;
    details.push(
      `undetermined ${formatMessages(names[o.segment.publisher] ?? '?', m.ranges)} for ${audienceText(o)}: ${m.reason}`,
    );
  }
  // What MQTT did not owe at this QoS (session gone, expired, offline at QoS 0): said, never counted.
  if (a.minQos > 0) {
    for (const o of relevant) {
      const m = o.missing;
      if (m?.cls !== 'missed') continue;
      details.push(
        `not owed ${formatMessages(names[o.segment.publisher] ?? '?', m.ranges)} to ${audienceText(o)}: ${m.reason}`,
      );
    }
  }
  if (ctx.oracle.untracked > 0) {
    details.push(
      `${plural(ctx.oracle.untracked, 'message')} published without the identity header (identity: none): not judged per message; \`received\` counts them by topic`,
    );
  }
  if (notOwed > 0) {
    details.push(
      `${plural(notOwed, 'message')} never acknowledged or refused by the broker: not owed to anyone (Q-2)`,
    );
  }

  if (relevant.length === 0) {
    return {
      ok: false,
      expected,
      actual: '',
      nothingToCheck: `no message of QoS ≥ ${a.minQos} had an audience`,
      details: ['publish to a topic some client subscribes to, or lower `qos:`'],
      rules,
    };
  }
  if (lostCount > 0) {
    const head = lost
      .slice(0, 3)
      .map((o) =>
        o.missing === undefined
          ? ''
          : `${formatMessages(names[o.segment.publisher] ?? '?', o.missing.ranges, 4)} (expected by ${audienceText(o)})`,
      )
      .join('; ');
    return {
      ok: false,
      expected,
      actual: `${lostCount} lost: ${head}${lost.length > 3 ? '; …' : ''}`,
      details: boundDetails(details),
      rules,
    };
  }
  if (owed === 0) {
    return {
      ok: false,
      expected,
      actual: '',
      nothingToCheck: `no message of QoS ≥ ${a.minQos} with an audience was taken by the broker (0 owed)`,
      details: boundDetails(details),
      rules,
    };
  }
  if (reallyOwed === 0) {
    // Checked, and MQTT owed nothing (every audience's session was gone): said, never "0 of 0".
    return {
      ok: true,
      expected,
      actual: `none of ${plural(missedCount, 'delivery', 'deliveries')} was owed (sessions gone or expired; details say why)`,
      details: boundDetails(details),
      rules,
    };
  }
  const extra = [
    undeterminedCount > 0 ? `${undeterminedCount} undetermined` : '',
    notOwed > 0 ? `${notOwed} not acknowledged` : '',
    missedCount > 0 ? `${missedCount} not owed` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return {
    ok: true,
    expected,
    actual: `${delivered} of ${reallyOwed} owed deliveries arrived${extra ? ` (${extra})` : ''}`,
    details: boundDetails(details),
    rules,
  };
};
