/**
 * The embedded broker in its own process gives the verdicts it gives in process: the example
 * scenarios with a policy (refusals read from the child) and with persistent sessions pass the
 * same way, with the same assertion results, and the broker's counters come across. A policy
 * scenario whose refusals the child did not report would fail its `denied` assertions.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runScenario } from '../engine/run-scenario.js';
import { loadScenario } from '../scenario/index.js';
import { CHILD_PROCESS_ABOVE, startEmbeddedTarget } from './embedded.js';
import type { EmbeddedChildTarget } from './embedded-child.js';

const example = (name: string) => fileURLToPath(new URL(`../../scenarios/${name}`, import.meta.url));

async function verdicts(
  where: 'child' | 'in-process',
  files: string[],
  t: { after: (fn: () => Promise<void>) => void },
) {
  const target = await startEmbeddedTarget({ process: where });
  t.after(() => target.close());
  const out = [];
  for (const file of files) {
    const loaded = await loadScenario(file);
    assert.ok(loaded.ok, JSON.stringify(loaded));
    const r = await runScenario(loaded.scenario, {
      target,
      reporter: {},
      signal: new AbortController().signal,
    });
    out.push({
      status: r.status,
      assertions: r.assertions.map((a) => `${a.label}: ${a.status}`),
      refusals: (r.policyRefusals ?? []).map((p) => `${p.client} ${p.action} ${p.resource}`),
      groups: (r.brokerStats as { groups?: Record<string, { delivered: number }> } | undefined)?.groups,
    });
  }
  return { target, out };
}

test('process: child runs the broker elsewhere with the same verdicts, refusals and counters as in process', {
  timeout: 90_000,
}, async (t) => {
  const files = [example('policy-refusals.yaml'), example('queuing.yaml')];
  const child = await verdicts('child', files, t);
  const inProcess = await verdicts('in-process', files, t);
  const pid = (child.target as EmbeddedChildTarget).pid;
  assert.ok(typeof pid === 'number' && pid !== process.pid, 'a broker process of its own');
  assert.deepEqual(child.out, inProcess.out);
  assert.ok(
    child.out.every((s) => s.status === 'passed'),
    JSON.stringify(child.out),
  );
  assert.ok((child.out[0]?.refusals.length ?? 0) > 0, 'the policy example has refusals');
  assert.equal(
    child.out[1]?.groups?.['message-queuing-group/test/shared/messages']?.delivered,
    40,
    JSON.stringify(child.out[1]),
  );
  await child.target.close();
  assert.throws(() => process.kill(pid, 0), 'the broker process is gone after close');
});

test('auto puts the broker in its own process only above the threshold', async (t) => {
  const small = await startEmbeddedTarget({ clients: CHILD_PROCESS_ABOVE });
  t.after(() => small.close());
  assert.equal((small as Partial<EmbeddedChildTarget>).pid, undefined);
  const large = await startEmbeddedTarget({ clients: CHILD_PROCESS_ABOVE + 1 });
  t.after(() => large.close());
  assert.equal(typeof (large as Partial<EmbeddedChildTarget>).pid, 'number');
});
