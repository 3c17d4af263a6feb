/**
 * A scenario's latency histogram in the HDR Histogram standard encoding (compressed, base64: what
 * HdrHistogram's Java, C, Go and JS libraries all read), for shard files: histograms of shards add
 * up exactly, which percentiles do not.
 */
import * as hdr from 'hdr-histogram-js';
import type { RunRecord } from '../verdict/record.js';

/** Every first delivery's end-to-end latency (µs) of the record, encoded; undefined when none. */
export function encodeLatencyHistogram(record: RunRecord): string | undefined {
  const all = hdr.build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 2 });
  try {
    const publishers = record.publishers.flatMap((p) => (p === undefined ? [] : [p.client]));
    for (let r = 0; r < record.clients.length; r++) {
      for (const p of publishers) {
        const log = record.receiptLog(r, p);
        if (log !== undefined && log.latencyUs.totalCount > 0) all.add(log.latencyUs);
      }
    }
    return all.totalCount === 0 ? undefined : hdr.encodeIntoCompressedBase64(all);
  } finally {
    all.destroy();
  }
}

/** How many values an encoded histogram holds (the merge checks it against the shard's summary). */
export function encodedHistogramCount(encoded: string): number {
  const h = hdr.decodeFromCompressedBase64(encoded);
  try {
    return h.totalCount;
  } finally {
    h.destroy();
  }
}
