/**
 * `latency`: percentiles of publish-to-receipt time over first deliveries, from the HDR
 * histograms of the record (µs resolution, 2 significant digits: values within 1%). Measured with one clock:
 * publisher and receivers run in this process.
 */
import * as hdr from 'hdr-histogram-js';
import { compare } from './_format.js';
import { receiversOf } from './_select.js';
import type { AssertionCheck } from './assertion.js';

function ms(us: number): string {
  const v = us / 1000;
  return v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(v >= 10 ? 1 : 2)} ms`;
}

export const checkLatency: AssertionCheck<'latency'> = (a, ctx) => {
  const all = hdr.build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 2 });
  const names = ctx.oracle.names;
  for (const r of receiversOf(a.clients, ctx)) {
    for (let p = 0; p < names.length; p++) {
      const log = ctx.record.receiptLog(r, p);
      if (log !== undefined && log.latencyUs.totalCount > 0) all.add(log.latencyUs);
    }
  }
  const expected = a.percentiles.map((q) => `p${q.p} ${q.bound.text.trim()}`).join(', ');
  if (all.totalCount === 0) {
    return {
      ok: false,
      expected,
      actual: '',
      nothingToCheck: 'no message was received, so there is no latency to measure',
      details: [],
    };
  }
  const failures: string[] = [];
  const values = a.percentiles.map((q) => {
    const us = q.p >= 100 ? all.maxValue : all.getValueAtPercentile(q.p);
    if (!compare(q.bound, us / 1000)) failures.push(`p${q.p}`);
    return `p${q.p} = ${ms(us)}`;
  });
  return {
    ok: failures.length === 0,
    expected,
    actual: `${values.join(', ')} over ${all.totalCount} messages${failures.length > 0 ? ` (${failures.join(', ')} over the bound)` : ''}`,
    details: [`min ${ms(all.minNonZeroValue)}, mean ${ms(all.mean)}, max ${ms(all.maxValue)}`],
  };
};
