/**
 * A scenario's latency histogram in the HDR Histogram standard encoding (compressed, base64: what
 * HdrHistogram's Java, C, Go and JS libraries all read), for shard files: histograms of shards add
 * up exactly, which percentiles do not.
 */
import * as hdr from 'hdr-histogram-js';
import type { RunRecord } from '../verdict/record.js';

/** Every first delivery's end-to-end latency (µs) of the record, encoded; undefined when none. */
export function encodeLatencyHistogram(record: RunRecord): string | undefined {
  return record.withMergedLatency((all) =>
    all.totalCount === 0 ? undefined : hdr.encodeIntoCompressedBase64(all),
  );
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
