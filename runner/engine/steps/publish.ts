/**
 * `publish`: a burst of `count` messages from each listed publisher (concurrently), at `rate` or
 * as fast as flow control allows (a window of unacknowledged QoS 1/2 publishes, never above the
 * broker's Receive Maximum [MQTT-4.9.0-1]). Every message gets an identity header (identity.ts)
 * unless the step says `identity: none` (then the payload bytes go out exactly as written);
 * its audience is taken from the session model per segment. A QoS 1/2 publish that is never
 * acknowledged (AWS IoT ignores QoS 2, Q-2) is recorded as such after the ack bound, not awaited
 * forever.
 */
import { StepError } from '../../errors.js';
import type { PayloadSpec } from '../../scenario/types.js';
import { formatReason } from '../../transports/reason-codes.js';
import type { PublishRequest, QoS } from '../../transports/transport.js';
import { createHeaderWriter, IDENTITY_PROPERTY } from '../../verdict/identity.js';
import { ACK_FAILED, ACK_TIMEOUT, type PublisherLog, type Segment } from '../../verdict/message-logs.js';
import type { SessionModel } from '../../verdict/session-model.js';
import type { EngineClient, EngineContext } from '../context.js';
import { type CompiledStep, forEachClient, resolveClients, type StepCompiler, type StepOf } from './step.js';
import { notConnected } from './subscribe.js';

/** The user part of a payload. For `size`, the padding that makes header + padding = bytes. */
export function buildUserPayload(spec: PayloadSpec, headerLength: number): Uint8Array {
  switch (spec.kind) {
    case 'text':
      return Buffer.from(spec.text, 'utf8');
    case 'json':
      return Buffer.from(JSON.stringify(spec.value), 'utf8');
    case 'size':
      return Buffer.alloc(Math.max(0, spec.bytes - headerLength), '.');
  }
}

export const compilePublish: StepCompiler<'publish'> = (step, plan) => {
  const idx = resolveClients(step.from, step, plan);
  for (const i of idx) plan.publishCounts.set(i, (plan.publishCounts.get(i) ?? 0) + step.count);
  return {
    ref: step.ref,
    kind: step.kind,
    label: step.label,
    async run(ctx) {
      const notes = await forEachClient(ctx, idx, (c) => publishBurst(ctx, c, step));
      return { notes: notes.flat() };
    },
  } satisfies CompiledStep;
};

/** What a run of sequence numbers of one publisher shares, besides its audience. */
export interface SegmentSpec {
  stepRef: number;
  topic: string;
  qos: QoS;
  retain: boolean;
  identity?: 'none';
  expiryMs?: number;
}

/**
 * The segment message `seq` (sent at `at`) belongs to: the last one while nothing the audience
 * depends on changed, else a new one with the audience taken from the session model now.
 */
export function segmentFor(
  model: SessionModel,
  log: PublisherLog,
  spec: SegmentSpec,
  seq: number,
  at: number,
): Segment {
  // The runner's clock never ends a session: a client offline past its expiry stays in the
  // audience, and its next CONNACK (sessionPresent) decides what it was owed.
  const last = log.segments[log.segments.length - 1];
  if (
    last !== undefined &&
    last.end === seq &&
    last.stepRef === spec.stepRef &&
    last.version === model.version &&
    last.topic === spec.topic &&
    last.qos === spec.qos &&
    last.retain === spec.retain
  ) {
    return last;
  }
  const seg: Segment = {
    index: log.segments.length,
    publisher: log.client,
    stepRef: spec.stepRef,
    topic: spec.topic,
    qos: spec.qos,
    retain: spec.retain,
    first: seq,
    end: seq,
    audience: model.audienceOf(log.client, spec.topic, spec.qos),
    version: model.version,
    owed: 0,
    startedAt: at,
  };
  // Without the identity header receipts cannot be attributed: the oracle leaves them out.
  if (spec.identity === 'none') seg.identity = 'none';
  if (spec.expiryMs !== undefined) seg.expiryMs = spec.expiryMs;
  log.segments.push(seg);
  return seg;
}

async function publishBurst(ctx: EngineContext, c: EngineClient, step: StepOf<'publish'>): Promise<string[]> {
  const log = ctx.record.publishers[c.idx];
  if (log === undefined) throw new Error(`${c.def.name}: no publish log`);
  const name = c.def.name;
  if (c.session === undefined) return notConnected(ctx, c, 'publish');
  const v5 = c.protocol === '5';
  const qos: QoS = step.qos;
  // `identity: none`: the bytes exactly as written, the same buffer for every message (an empty
  // one deletes the retained message [MQTT-3.3.1-6]); the record is still told of each publish.
  const exact = step.identity === 'none' ? buildUserPayload(step.payload, 0) : undefined;
  const user =
    exact !== undefined || step.payload.kind === 'size' ? undefined : buildUserPayload(step.payload, 0);
  const header = createHeaderWriter(ctx.record.runId, c.idx);
  const receiveMax = c.session.connack.receiveMaximum ?? Number.POSITIVE_INFINITY;
  const window = Math.max(1, Math.min(ctx.timings.publishWindow, receiveMax));
  const interval = step.ratePerSecond !== undefined && step.ratePerSecond > 0 ? 1000 / step.ratePerSecond : 0;
  const ackTimeout = ctx.timings.ackTimeoutMs;
  const record = ctx.record;
  const mei = step.properties?.messageExpiryInterval;
  const spec: SegmentSpec = {
    stepRef: step.ref,
    topic: step.topic,
    qos: step.qos,
    retain: step.retain,
    ...(step.identity === 'none' ? { identity: 'none' as const } : {}),
    ...(mei !== undefined && v5 ? { expiryMs: mei * 1000 } : {}),
  };

  let inflight = 0;
  let wake: (() => void) | undefined;
  const awaiting = new Set<number>();
  const wakeUp = () => {
    if (wake !== undefined) {
      const w = wake;
      wake = undefined;
      w();
    }
  };
  const release = () => {
    inflight--;
    wakeUp();
  };
  // Ctrl+C must not wait for acks that may never come.
  const undoStop = ctx.onStop(wakeUp);
  // One watchdog per burst instead of a timer per message: the oldest unacknowledged publish past
  // the bound is recorded as timed out and frees its window slot.
  const watchdog = setInterval(
    () => {
      const t = ctx.now();
      for (const seq of awaiting) {
        if (t - (log.sendTime[seq] as number) < ackTimeout) break;
        awaiting.delete(seq);
        log.ackCode[seq] = ACK_TIMEOUT;
        release();
        if (!ctx.offlineAsDeclared.has(c.idx)) {
          ctx.fail(
            new StepError(
              'no-answer',
              `${name}: publish #${seq + 1} to ${step.topic} (QoS ${qos}) not acknowledged within ${ackTimeout} ms`,
            ),
          );
        }
      }
    },
    Math.min(250, ackTimeout),
  );

  const t0 = ctx.now();
  let sent = 0;
  let stopped: string | undefined;
  try {
    for (let i = 0; i < step.count; i++) {
      if (ctx.signal.aborted) {
        stopped = ctx.interrupted
          ? 'interrupted'
          : ctx.failure !== undefined
            ? 'the scenario failed'
            : 'deadline';
        break;
      }
      if (interval > 0) {
        const due = t0 + i * interval - ctx.now();
        if (due > 1) await ctx.sleep(due);
      }
      while (inflight >= window && !ctx.signal.aborted) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      const session = c.session;
      if (session === undefined) {
        // Closed by the broker as the scenario declares; an undeclared loss has failed the step.
        stopped = 'the broker closed its connection';
        break;
      }
      const seq = log.next++;
      const seg = segmentFor(ctx.model, log, spec, seq, ctx.now());
      seg.end = seq + 1;
      const at = ctx.now();
      log.sendTime[seq] = at;
      let payload: Uint8Array;
      if (exact !== undefined) {
        payload = exact;
      } else if (user === undefined) {
        const bytes = step.payload.kind === 'size' ? step.payload.bytes : 0;
        const buf = Buffer.alloc(Math.max(bytes, header.length(seq, at)), 0x2e);
        header.write(buf, seq, at);
        payload = buf;
      } else {
        const length = header.length(seq, at);
        const buf = Buffer.allocUnsafe(length + user.length);
        header.write(buf, seq, at);
        buf.set(user, length);
        payload = buf;
      }
      const request: PublishRequest = { topic: step.topic, payload, qos, retain: step.retain };
      if (v5 && ctx.identityProperty && exact === undefined) {
        const id: readonly [string, string] = [IDENTITY_PROPERTY, `${record.runId} ${c.idx} ${seq + 1}`];
        request.properties =
          step.properties === undefined
            ? { userProperties: [id] }
            : { ...step.properties, userProperties: [...(step.properties.userProperties ?? []), id] };
      } else if (step.properties !== undefined) {
        request.properties = step.properties;
      }
      inflight++;
      if (qos > 0) awaiting.add(seq);
      record.published++;
      sent++;
      session.publish(request).then(
        (r) => {
          log.ackTime[seq] = ctx.now();
          log.ackCode[seq] = r.reasonCode;
          if (r.reasonCode < 0x80) {
            seg.owed++;
            record.acked++;
          } else if (!ctx.declared.refusal('puback', c.idx, step.ref, r.reasonCode)) {
            ctx.fail(
              new StepError(
                'refused',
                `${name}: the broker refused publish #${seq + 1} to ${step.topic} (${qos === 1 ? 'PUBACK' : 'PUBREC'} ${formatReason(r.reasonCode, qos === 1 ? 'puback' : 'pubrec')}); ` +
                  `if the scenario expects it, declare it: reason-code: { packet: puback, codes: [0x${r.reasonCode.toString(16)}] }`,
              ),
            );
          }
          if (qos === 0 || awaiting.delete(seq)) release();
        },
        () => {
          if ((log.ackCode[seq] as number) !== ACK_TIMEOUT) log.ackCode[seq] = ACK_FAILED;
          if (qos === 0 || awaiting.delete(seq)) release();
        },
      );
    }
    // Wait for the outstanding acks; the watchdog bounds this.
    while (inflight > 0 && !ctx.signal.aborted) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    // QoS 0 has no ack: "sent" is not "routed". A broker handles one connection's packets in order
    // [MQTT-4.6.0-6], so an UNSUBSCRIBE round trip (of a filter never subscribed: no side effect)
    // ends the step only once the broker has routed the whole burst, against the audience the
    // oracle computed. Without it a next step (a reconnect) could overtake the messages.
    const session = c.session;
    if (qos === 0 && sent > 0 && session !== undefined && !ctx.signal.aborted) {
      const r = await ctx.awaitAnswer(
        session.unsubscribe([`mqscen/barrier/${record.runId}`]).catch(() => undefined),
        ackTimeout,
      );
      if (!r.ok && r.timedOut) {
        throw new StepError(
          'no-answer',
          `${name}: no UNSUBACK ${ctx.describeBound(r.afterMs, r.byDeadline)} (mqscen's end-of-burst check after ${sent} QoS 0 publishes)`,
        );
      }
    }
  } finally {
    clearInterval(watchdog);
    undoStop();
  }
  // The deadline came while the broker still owed acks: it did not answer in the time allowed.
  if (awaiting.size > 0 && ctx.deadlineReached && !ctx.interrupted && ctx.failure === undefined) {
    throw new StepError(
      'no-answer',
      `${name}: ${awaiting.size} publish(es) to ${step.topic} not acknowledged ${ctx.describeBound(0, true)}`,
    );
  }
  const notes: string[] = [];
  const timedOut = countCodes(log, t0, ACK_TIMEOUT, step.ref);
  if (timedOut > 0) notes.push(`${name}: ${timedOut} not acknowledged within ${ackTimeout} ms`);
  if (stopped !== undefined) notes.push(`${name}: stopped after ${sent} of ${step.count} (${stopped})`);
  return notes;
}

function countCodes(log: PublisherLog, _since: number, code: number, stepRef: number): number {
  let n = 0;
  for (const seg of log.segments) {
    if (seg.stepRef !== stepRef) continue;
    for (let s = seg.first; s < seg.end; s++) if (log.ackCode[s] === code) n++;
  }
  return n;
}
