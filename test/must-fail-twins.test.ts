/**
 * Must-fail twins of three examples (scenarios/fault-latency.yaml, takeover.yaml,
 * protocol-change.yaml), run in one CLI call on the embedded broker (aws-iot behaviour): each
 * scenario fails (exit 1) and its failed assertions name the cause. The examples themselves pass
 * on every target in test/scenarios.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mqscen } from './_cli.js';

test('the latency, takeover and protocol-change twins exit 1, each naming what differs', async () => {
  const r = await mqscen([
    'run',
    'test/fixtures/must-fail-fault-latency.yaml',
    'test/fixtures/must-fail-takeover.yaml',
    'test/fixtures/must-fail-protocol-change.yaml',
    '--no-json',
  ]);
  const out = r.stdout + r.stderr;
  assert.equal(r.code, 1, out);
  assert.match(out, /0 passed, 3 failed \(3 scenarios\)/);
  // The undelayed subscriber is not 200 ms late; the delayed one is (that bound passes).
  assert.match(out, /✔ latency p50 >= 200ms\n/);
  assert.match(out, /✖ latency p50 >= 200ms — expected p50 >= 200ms \/ got p50 = [\d.]+ ms over 20 messages/);
  // Takeover closes the first connection, not the second; the first gets nothing afterwards.
  assert.match(out, /✖ disconnected second in takeover [^\n]*second: the broker never ended its connection/);
  assert.match(out, /✖ received first >= 5 after takeover [^\n]*got 0 messages/);
  // AWS IoT starts a fresh session across protocol versions (PS-5): nothing waited.
  assert.match(out, /✖ session-present dev = true at back [^\n]*got dev sessionPresent=false/);
  assert.match(out, /✖ received dev >= 3 after back [^\n]*got 0 messages/);
});
