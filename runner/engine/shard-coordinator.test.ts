import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startFaultProxy } from '../faults/index.js';
import { startEmbeddedTarget } from '../targets/embedded.js';
import { clientOwners } from './shard.js';
import { ShardBarrierError, type ShardCoordinator, startShardCoordinator } from './shard-coordinator.js';

async function fleet(
  t: { after: (fn: () => Promise<void>) => void },
  total: number,
  runId: string,
  offsets: number[] = [],
) {
  const target = await startEmbeddedTarget({ profile: 'mosquitto' });
  const shards: ShardCoordinator[] = [];
  // One hook: the coordinators close (clearing their retained messages) before the broker does.
  t.after(async () => {
    for (const c of shards) await c.close();
    await target.close();
  });
  for (let index = 0; index < total; index++) {
    const offset = offsets[index] ?? 0;
    shards.push(
      await startShardCoordinator({ url: target.url, runId, index, total, now: () => Date.now() + offset }),
    );
  }
  return { target, shards };
}

test('barrier: released when every shard arrived, in any order, late subscribers included', async (t) => {
  const { shards } = await fleet(t, 4, 'b1');
  const [s0, s1, s2, s3] = shards as [ShardCoordinator, ShardCoordinator, ShardCoordinator, ShardCoordinator];
  const early = [s3.barrier('connect', 5_000), s1.barrier('connect', 5_000)];
  await new Promise((r) => setTimeout(r, 50));
  await Promise.all([...early, s0.barrier('connect', 5_000), s2.barrier('connect', 5_000)]);
  // A second barrier is independent of the first.
  await Promise.all(shards.map((s) => s.barrier('settle', 5_000)));
});

test('barrier: the deadline names the shards that did not arrive; a failed shard fails the others at once', async (t) => {
  const { shards } = await fleet(t, 4, 'b2');
  const [s0, s1, , s3] = shards as [ShardCoordinator, ShardCoordinator, ShardCoordinator, ShardCoordinator];
  await assert.rejects(
    Promise.all([s0.barrier('publish', 400), s1.barrier('publish', 400)]),
    (e: unknown) =>
      e instanceof ShardBarrierError &&
      /barrier "publish" timed out after 400 ms: shard 3\/4 \(index 2\), shard 4\/4 \(index 3\) did not arrive/.test(
        e.message,
      ),
  );
  const waiting = assert.rejects(
    s0.barrier('disconnect', 10_000),
    /shard 4\/4 \(index 3\) failed \(connect refused\); the run fails/,
  );
  const started = Date.now();
  await s3.fail('connect refused');
  await waiting;
  assert.ok(Date.now() - started < 5_000, 'a failure rejects before the deadline');
});

test('a shard that fails or whose coordinator connection dies is reported to the others at once', async (t) => {
  const { shards, target } = await fleet(t, 3, 'f1');
  const [s0, s1] = shards as [ShardCoordinator, ShardCoordinator, ShardCoordinator];
  const heard: string[] = [];
  s0.onFailure((text) => heard.push(text));
  await s1.fail('subscribe refused');
  await assert.rejects(s0.barrier('after-fail', 5_000), /index 1\) failed/);
  assert.deepEqual(heard, ['shard 2/3 (index 1) failed (subscribe refused)']);
  // A listener added later hears of it at once.
  const late: string[] = [];
  const undo = s0.onFailure((text) => late.push(text));
  assert.deepEqual(late, ['shard 2/3 (index 1) failed (subscribe refused)']);
  undo();

  // A shard that dies without closing (its socket cut, as SIGKILL leaves it): the broker
  // publishes its will, and the others' barriers fail naming it.
  const proxy = await startFaultProxy();
  t.after(() => proxy.close());
  const { port } = new URL(target.url);
  const link = await proxy.addClient('dying', { upstream: { host: '127.0.0.1', port: Number(port) } });
  const dying = await startShardCoordinator({
    url: `mqtt://127.0.0.1:${link.port}`,
    runId: 'f2',
    index: 1,
    total: 2,
  });
  const alive = await startShardCoordinator({ url: target.url, runId: 'f2', index: 0, total: 2 });
  t.after(() => Promise.all([alive.close(), dying.close()]).then(() => undefined));
  const waiting = assert.rejects(
    alive.barrier('never', 10_000),
    /shard 2\/2 \(index 1\) failed \(its connection to the coordinator was lost \(killed, crashed or cut off\)\); the run fails/,
  );
  proxy.cut('dying', 'reset');
  await waiting;
});

test('clock offset: measured through the coordinator within half the round trip', async (t) => {
  const { shards } = await fleet(t, 2, 'c1', [0, -750]);
  assert.deepEqual(await (shards[0] as ShardCoordinator).measureClockOffset(), { offsetMs: 0, rttMs: 0 });
  const m = await (shards[1] as ShardCoordinator).measureClockOffset(5);
  assert.ok(Math.abs(m.offsetMs - 750) <= m.rttMs / 2 + 1, `offset ${m.offsetMs} ± ${m.rttMs / 2}`);
});

test('client partition: every instance on exactly one shard, a takeover with the client it takes over', () => {
  const clients = Array.from({ length: 50 }, (_, j) => ({ clientId: `c-${j}` }));
  clients.push({ clientId: 'c-7' });
  for (const total of [1, 2, 3, 4]) {
    const owners = clientOwners(clients, total);
    assert.equal(owners.length, 51);
    for (let j = 0; j < 50; j++) assert.equal(owners[j], j % total);
    assert.equal(owners[50], owners[7], 'the takeover runs where the session it takes over lives');
  }
});
