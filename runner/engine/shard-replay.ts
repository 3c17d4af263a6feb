/**
 * The merge of a client-sharded scenario: every shard's journal (shard-journal.ts) replayed, in
 * the order things happened on the run's clock, into one session model and one run record, which
 * the oracle and the assertions then judge as if one process had run the scenario.
 *
 * - Times: each shard's times plus its clock offset to shard 1 (measured through the coordinator).
 * - Order: every event of every shard sorted by time. A receipt never precedes the publish of its
 *   message (a clock error smaller than one delivery could say so): the publish is applied first.
 * - A publish's audience is computed from the merged model at its send time, with the same rule
 *   the engine uses (`segmentFor`), so a subscriber on another shard is owed what it would be in
 *   an unsharded run.
 * - A step starts when its first shard starts it and ends when its last shard ends it (the step
 *   barriers make the shards run each top-level step together).
 */
import type { ResolvedScenario } from '../scenario/types.js';
import type { Segment } from '../verdict/message-logs.js';
import { isOwed } from '../verdict/oracle.js';
import { RunRecord } from '../verdict/record.js';
import { type ClientSnapshot, SessionModel, type SessionModelOptions } from '../verdict/session-model.js';
import { compileSteps } from './run-scenario.js';
import type { ModelOp, PublisherJournal, ScenarioJournal } from './shard-journal.js';
import { segmentFor } from './steps/publish.js';

export interface ReplayedScenario {
  record: RunRecord;
  model: SessionModel;
  /** Each client's state when its shard's steps ended (before the teardown closed it). */
  end: ClientSnapshot[];
  /** First and last event on the run's clock, ms. */
  startedAt: number;
  endedAt: number;
  /** First deliveries whose publisher and receiver ran on different shards, and the clock error bound. */
  crossShard: { pairs: number; clockUncertaintyMs: number };
}

type Event =
  | { t: number; kind: 'model'; op: ModelOp }
  | { t: number; kind: 'receipt'; shard: number; row: ScenarioJournal['receipts'][number] }
  | { t: number; kind: 'publish'; pub: PublisherQueue; seq: number }
  | { t: number; kind: 'disconnect'; d: ScenarioJournal['disconnects'][number] }
  | { t: number; kind: 'step-start' | 'step-end'; ref: number }
  | { t: number; kind: 'steps-ended'; shard: number };

interface PublisherQueue {
  journal: PublisherJournal;
  offset: number;
  /** Sequence numbers below this are applied. */
  applied: number;
  /** The run (journal.runs, in sequence order) the next sequence number is in. */
  run: number;
}

/** `journals[k]` is shard index k's journal of this scenario. */
export function replayJournals(
  scenario: ResolvedScenario,
  modelOptions: SessionModelOptions,
  journals: readonly ScenarioJournal[],
): ReplayedScenario {
  const { publishCounts } = compileSteps(scenario);
  const model = new SessionModel(scenario.clients, modelOptions);
  const first = journals[0] as ScenarioJournal;
  const record = new RunRecord(first.recordRunId, scenario.clients, publishCounts, model);
  if (journals.some((j) => j.deliveryProperties)) record.keepDeliveryProperties();
  const owner = new Int32Array(scenario.clients.length).fill(-1);
  journals.forEach((j, k) => {
    for (const c of j.owned) owner[c] = k;
  });

  const events: Event[] = [];
  const queues = new Map<number, PublisherQueue>();
  const stepStart = new Map<number, number>();
  const stepEnd = new Map<number, number>();
  journals.forEach((j, k) => {
    const o = j.clock.offsetMs;
    for (const op of j.model) {
      const t = op[0] + o;
      events.push({ t, kind: 'model', op: [t, ...op.slice(1)] as ModelOp });
    }
    for (const row of j.receipts) events.push({ t: row[0] + o, kind: 'receipt', shard: k, row });
    for (const d of j.disconnects)
      events.push({ t: d.at + o, kind: 'disconnect', d: { ...d, at: d.at + o } });
    for (const p of j.publishers) {
      const q: PublisherQueue = { journal: p, offset: o, applied: 0, run: 0 };
      queues.set(p.client, q);
      for (let seq = 0; seq < p.sendTime.length; seq++)
        events.push({ t: (p.sendTime[seq] as number) + o, kind: 'publish', pub: q, seq });
    }
    events.push({ t: j.stepsEndedAt + o, kind: 'steps-ended', shard: k });
    for (const [ref, start, end] of j.steps) {
      stepStart.set(ref, Math.min(stepStart.get(ref) ?? Number.POSITIVE_INFINITY, start + o));
      if (end > 0) stepEnd.set(ref, Math.max(stepEnd.get(ref) ?? 0, end + o));
    }
  });
  for (const [ref, t] of stepStart) events.push({ t, kind: 'step-start', ref });
  for (const [ref, t] of stepEnd) events.push({ t, kind: 'step-end', ref });
  // Stable: events of one time keep the order each shard journaled them in.
  events.sort((a, b) => a.t - b.t);

  /** Applies the publishes of `q` below `end` not applied yet, each with the audience of now. */
  const publishUpTo = (q: PublisherQueue, end: number): void => {
    const log = record.publishers[q.journal.client];
    if (log === undefined) return;
    const runs = q.journal.runs;
    for (; q.applied < end && q.applied < q.journal.sendTime.length; q.applied++) {
      const seq = q.applied;
      const at = (q.journal.sendTime[seq] as number) + q.offset;
      log.next = seq + 1;
      log.sendTime[seq] = at;
      record.published++;
      while (q.run < runs.length && (runs[q.run] as (typeof runs)[number]).end <= seq) q.run++;
      const run = runs[q.run];
      if (run === undefined || seq < run.first) continue;
      segmentFor(model, log, run, seq, at).end = seq + 1;
    }
  };

  const end: ClientSnapshot[] = [];
  let crossPairs = 0;
  for (const e of events) {
    switch (e.kind) {
      case 'model':
        applyModelOp(model, e.op);
        break;
      case 'publish':
        publishUpTo(e.pub, e.seq + 1);
        break;
      case 'receipt': {
        const [, receiver, topic, text, qos, retain, dup, ids, props] = e.row;
        const payload = Buffer.from(text, 'latin1');
        const id = record.identify(payload);
        if (id.kind === 'message') {
          const q = queues.get(id.publisher);
          if (q !== undefined) publishUpTo(q, id.seq + 1);
        }
        const kind = record.onMessage(
          receiver,
          (journals[e.shard] as ScenarioJournal).topics[topic] as string,
          payload,
          retain === 1,
          e.t,
          qos,
          ids === 0 ? undefined : ids,
          dup === 1,
          props === 0 ? undefined : props,
        );
        if (kind === 'message' && id.kind === 'message' && owner[id.publisher] !== owner[receiver])
          crossPairs++;
        break;
      }
      case 'disconnect':
        record.disconnects.push(e.d);
        break;
      case 'step-start':
        record.stepStarted(e.ref, e.t);
        break;
      case 'step-end':
        record.stepEnded(e.ref, e.t);
        break;
      case 'steps-ended': {
        const now = model.snapshot();
        for (const c of (journals[e.shard] as ScenarioJournal).owned) end[c] = now[c] as ClientSnapshot;
        break;
      }
    }
  }

  // Acks: what the broker took responsibility for, per segment (the oracle's `owed`).
  for (const q of queues.values()) {
    const log = record.publishers[q.journal.client];
    if (log === undefined) continue;
    publishUpTo(q, q.journal.sendTime.length);
    for (let seq = 0; seq < q.journal.ackCode.length; seq++) {
      const t = q.journal.ackTime[seq];
      log.ackCode[seq] = q.journal.ackCode[seq] as number;
      log.ackTime[seq] = t === null || t === undefined ? Number.NaN : t + q.offset;
      if (isOwed(log, seq)) {
        record.acked++;
        const seg = log.segmentOf(seq) as Segment | undefined;
        if (seg !== undefined) seg.owed++;
      }
    }
  }
  const shifted = <T extends { at: number }>(list: readonly T[], o: number): T[] =>
    list.map((x) => ({ ...x, at: x.at + o }));
  const connects = journals.flatMap((j) => shifted(j.connects, j.clock.offsetMs));
  const subscriptions = journals.flatMap((j) => shifted(j.subscriptions, j.clock.offsetMs));
  record.connects.push(...connects.sort((a, b) => a.at - b.at));
  record.subscriptions.push(...subscriptions.sort((a, b) => a.at - b.at));

  // A client no shard owned (none: every instance has an owner) would read as never connected.
  const last = model.snapshot();
  for (let c = 0; c < last.length; c++) end[c] ??= last[c] as ClientSnapshot;
  return {
    record,
    model,
    end,
    startedAt: events[0]?.t ?? 0,
    endedAt: events.at(-1)?.t ?? 0,
    crossShard: {
      pairs: crossPairs,
      clockUncertaintyMs: Math.max(0, ...journals.map((j) => j.clock.rttMs / 2)),
    },
  };
}

function applyModelOp(model: SessionModel, op: ModelOp): void {
  switch (op[1]) {
    case 'connectStarted':
      model.connectStarted(op[2], op[0]);
      break;
    case 'connected':
      model.connected(op[2], op[0], op[3]);
      break;
    case 'connectFailed':
      model.connectFailed(op[2], op[0]);
      break;
    case 'disconnectStarted':
      model.disconnectStarted(op[2]);
      break;
    case 'disconnected':
      model.disconnected(op[2], op[0], op[3] ?? undefined);
      break;
    case 'subscribeStarted':
      model.subscribeStarted(op[2], op[3]);
      break;
    case 'subscribed':
      model.subscribed(op[2], op[3]);
      break;
    case 'unsubscribeStarted':
      model.unsubscribeStarted(op[2], op[3]);
      break;
    case 'unsubscribed':
      model.unsubscribed(op[2], op[3]);
      break;
    case 'slot':
      model.slotFor(op[2], op[3]);
      break;
  }
}
