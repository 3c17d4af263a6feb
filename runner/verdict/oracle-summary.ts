/**
 * What the JSON report shows of the oracle: per publisher (taken, refused, unacknowledged), per
 * receiver (first receipts; duplicates by class, see docs/verdict-model.md) and per audience entry
 * (owed, delivered, what is missing and why). Bounded: at most 500 audience entries.
 */
import type { OracleReport } from './oracle.js';
import type { RunRecord } from './record.js';

export function summarizeOracle(record: RunRecord, oracle: OracleReport): Record<string, unknown> {
  const names = oracle.names;
  const publishers = record.publishers.flatMap((p) => {
    if (p === undefined) return [];
    let acked = 0;
    let refused = 0;
    let unacked = 0;
    for (let s = 0; s < p.next; s++) {
      const code = p.ackCode[s] as number;
      if (code >= 0x80) refused++;
      else if (code >= 0) acked++;
      else unacked++;
    }
    return [
      {
        name: names[p.client],
        published: p.next,
        taken: acked,
        refused,
        unacknowledged: unacked,
        segments: p.segments.length,
      },
    ];
  });
  // Per receiver over the publishers only: clients × publishers, never clients × clients.
  const publisherIdx = record.publishers.flatMap((p) => (p === undefined ? [] : [p.client]));
  const wills = new Map<number, number>();
  for (const w of record.wills) wills.set(w.receiver, (wills.get(w.receiver) ?? 0) + 1);
  const receivers = names.map((name, r) => {
    let received = 0;
    let duplicates = 0;
    let redelivered = 0;
    let extraCopies = 0;
    let outOfOrder = 0;
    for (const p of publisherIdx) {
      const log = record.receiptLog(r, p);
      if (log === undefined) continue;
      received += log.received;
      duplicates += log.unexplained;
      redelivered += log.redelivered;
      extraCopies += log.extraCopies;
      outOfOrder += log.orderViolations;
    }
    return {
      name,
      received,
      duplicates,
      redelivered,
      extraCopies,
      outOfOrder,
      wills: wills.get(r) ?? 0,
      stale: record.stale[r] ?? 0,
      foreign: record.foreign[r] ?? 0,
    };
  });
  const audience = oracle.outcomes.map((o) => ({
    publisher: names[o.segment.publisher],
    step: o.segment.stepRef,
    topic: o.segment.topic,
    messages: `#${o.segment.first + 1}..#${o.segment.end}`,
    audience: o.entry.kind === 'group' ? `group ${o.entry.key}` : o.entry.key,
    qos: o.entry.qos,
    states: o.entry.candidates.map((c) => `${names[c.client]}:${c.state}`),
    owed: o.owed,
    delivered: o.delivered,
    ...(o.missing === undefined ? {} : { [o.missing.cls]: o.missing.count, reason: o.missing.reason }),
    ...(o.multi !== undefined && o.multi.count > 0 ? { duplicatesInGroup: o.multi.count } : {}),
    ...(o.redelivered !== undefined ? { redeliveredInGroup: o.redelivered.count } : {}),
    ...(o.perMember === undefined
      ? {}
      : { perMember: Object.fromEntries([...o.perMember].map(([c, n]) => [names[c] ?? String(c), n])) }),
  }));
  return { runId: record.runId, publishers, receivers, audience: audience.slice(0, 500) };
}
