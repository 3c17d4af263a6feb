/**
 * What the HTML report draws, computed once from the run record at scenario end: message rates
 * per declared client over time (publish, ack, delivery, clients online) and the latency
 * distribution. Aggregated by declared client so a 10,000-client run is a handful of series, and
 * bounded in size (at most TIMELINE_POINTS_MAX buckets, TIMELINE_EVENTS_MAX events).
 */
import debugFactory from 'debug';
import type * as hdr from 'hdr-histogram-js';
import type { LatencySummary, ScenarioTimeline, TimelineEvent, TimelineSeries } from '../results.js';
import type { RunRecord } from '../verdict/record.js';

export const TIMELINE_POINTS_MAX = 300;
export const TIMELINE_EVENTS_MAX = 200;

const debug = debugFactory('mqscen:engine:report-data');

/**
 * The timeline and the latency summary a scenario result carries. A failure here must never cost
 * the verdict: what cannot be built is left out (and logged).
 */
export function buildReportData(
  record: RunRecord,
  startedAt: number,
  endedAt: number,
): { timeline?: ScenarioTimeline; latency?: LatencySummary } {
  const out: { timeline?: ScenarioTimeline; latency?: LatencySummary } = {};
  try {
    out.timeline = buildTimeline(record, startedAt, endedAt);
  } catch (error) {
    debug('timeline: %O', error);
  }
  try {
    const latency = buildLatency(record);
    if (latency !== undefined) out.latency = latency;
  } catch (error) {
    debug('latency: %O', error);
  }
  return out;
}

/** The timeline of one scenario, `startedAt`..`endedAt` in the record's clock (ms). */
export function buildTimeline(record: RunRecord, startedAt: number, endedAt: number): ScenarioTimeline {
  const unit = record.deliveryBucketMs;
  const spanMs = Math.max(unit, endedAt - startedAt);
  // A whole multiple of the record's delivery resolution, so re-binning loses nothing.
  const bucketMs = Math.max(1, Math.ceil(spanMs / TIMELINE_POINTS_MAX / unit)) * unit;
  const buckets = Math.max(1, Math.ceil(spanMs / bucketMs));
  const bucketOf = (at: number): number =>
    Math.min(buckets - 1, Math.max(0, Math.floor((at - startedAt) / bucketMs)));
  const zeros = (): number[] => new Array<number>(buckets).fill(0);

  const series: TimelineSeries[] = record.declaredNames.map((client) => ({
    client,
    instances: 0,
    published: zeros(),
    acked: zeros(),
    received: zeros(),
    online: zeros(),
  }));
  record.clients.forEach((_, i) => {
    const s = series[record.declaredOf[i] as number];
    if (s !== undefined) s.instances++;
  });

  for (const log of record.publishers) {
    if (log === undefined) continue;
    const s = series[record.declaredOf[log.client] as number];
    if (s === undefined) continue;
    for (let seq = 0; seq < log.next; seq++) {
      const sent = log.sendTime[seq] as number;
      if (sent > 0) (s.published[bucketOf(sent)] as number)++;
      const acked = log.ackTime[seq] as number;
      const code = log.ackCode[seq] as number;
      if (!Number.isNaN(acked) && code >= 0 && code < 0x80) (s.acked[bucketOf(acked)] as number)++;
    }
  }

  record.deliveryBuckets.forEach((map, d) => {
    const s = series[d];
    if (s === undefined) return;
    for (const [slot, count] of map) {
      // The middle of the record's slot: its deliveries are spread over it.
      const at = (slot + 0.5) * unit;
      if (at < startedAt - unit || at > endedAt + unit) continue;
      (s.received[bucketOf(at)] as number) += count;
    }
  });

  // Online instances: +1 at a connect that got its CONNACK, -1 at a disconnect, swept in time order.
  const changes: Array<{ at: number; client: number; delta: 1 | -1 }> = [];
  const events: TimelineEvent[] = [];
  const name = (i: number): string => record.clients[i]?.name ?? String(i);
  for (const c of record.connects) {
    if (c.connack !== undefined && c.error === undefined)
      changes.push({ at: c.at, client: c.client, delta: 1 });
    events.push(
      c.error === undefined
        ? { atMs: Math.round(c.at - startedAt), client: name(c.client), kind: 'connect' }
        : {
            atMs: Math.round(c.at - startedAt),
            client: name(c.client),
            kind: 'connect-failed',
            detail: c.error.message,
          },
    );
  }
  for (const d of record.disconnects) {
    changes.push({ at: d.at, client: d.client, delta: -1 });
    events.push({
      atMs: Math.round(d.at - startedAt),
      client: name(d.client),
      kind: 'disconnect',
      detail: d.how,
    });
  }
  changes.sort((a, b) => a.at - b.at);
  const connected = new Uint8Array(record.clients.length);
  const level = new Array<number>(series.length).fill(0);
  let next = 0;
  for (let b = 0; b < buckets; b++) {
    const end = startedAt + (b + 1) * bucketMs;
    // The fewest connected during the bucket: a reconnect within 100 ms still shows as a dip.
    const low = [...level];
    while (next < changes.length && (changes[next] as (typeof changes)[number]).at < end) {
      const ch = changes[next++] as (typeof changes)[number];
      const was = connected[ch.client] === 1;
      const now = ch.delta === 1;
      if (was === now) continue;
      connected[ch.client] = now ? 1 : 0;
      const d = record.declaredOf[ch.client] as number;
      level[d] = (level[d] ?? 0) + ch.delta;
      low[d] = Math.min(low[d] ?? 0, level[d] ?? 0);
    }
    series.forEach((s, d) => {
      s.online[b] = low[d] ?? 0;
    });
  }
  events.sort((a, b) => a.atMs - b.atMs);
  return {
    bucketMs,
    buckets,
    series,
    events: events.slice(0, TIMELINE_EVENTS_MAX),
    eventCount: events.length,
  };
}

/** Percentiles and a log-binned histogram of every receipt's latency; undefined when nothing arrived. */
export function buildLatency(record: RunRecord): LatencySummary | undefined {
  return record.withMergedLatency((all) => {
    const count = all.totalCount;
    if (count === 0) return undefined;
    const ms = (us: number): number => Math.round(us) / 1000;
    const at = (p: number): number => ms(all.getValueAtPercentile(p));
    return {
      count,
      minMs: ms(all.minNonZeroValue),
      meanMs: Math.round(all.mean) / 1000,
      p50Ms: at(50),
      p90Ms: at(90),
      p95Ms: at(95),
      p99Ms: at(99),
      p999Ms: at(99.9),
      maxMs: ms(all.maxValue),
      bins: latencyBins(all, count),
    };
  });
}

// --- internal ---

const QUANTILES = 1000;
const BINS = 40;

/**
 * Log-spaced bins from the minimum to the maximum latency. The histogram is read through its
 * quantiles (each of QUANTILES points carries count / QUANTILES deliveries), which is as exact as
 * its 2 significant digits allow and needs no access to its internal buckets.
 */
function latencyBins(h: hdr.Histogram, count: number): Array<{ upToMs: number; count: number }> {
  const lo = Math.max(1, h.minNonZeroValue);
  const hi = Math.max(lo + 1, h.maxValue);
  const ratio = (hi / lo) ** (1 / BINS);
  const edges = Array.from({ length: BINS }, (_, i) => lo * ratio ** (i + 1));
  const counts = new Array<number>(BINS).fill(0);
  const weight = count / QUANTILES;
  for (let q = 1; q <= QUANTILES; q++) {
    const v = h.getValueAtPercentile((q / QUANTILES) * 100);
    let i = edges.findIndex((e) => v <= e * 1.000001);
    if (i < 0) i = BINS - 1;
    counts[i] = (counts[i] ?? 0) + weight;
  }
  return edges.map((e, i) => ({ upToMs: Math.round(e) / 1000, count: Math.round(counts[i] ?? 0) }));
}
