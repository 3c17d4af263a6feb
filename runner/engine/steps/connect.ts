/**
 * `connect`: opens each listed client's connection concurrently, then subscribes its declared
 * subscriptions unless the broker resumed a session that holds them (`resubscribe`). A refused
 * CONNECT the scenario does not declare, an unreachable broker or no CONNACK within
 * `timeouts.connect` (or before the deadline) ends the scenario (TransportError, exit 3). A
 * connection the broker closes later, unless declared, ends it too (StepError, exit 3).
 */
import { MqscenError, StepError, TransportError } from '../../errors.js';
import type { ConnectOptions, TransportSession, WillMessage } from '../../transports/transport.js';
import { brokerBehaviour } from '../../verdict/broker-behaviours.js';
import { formatWillHeader } from '../../verdict/identity.js';
import { debug, debugReceipts, type EngineClient, type EngineContext } from '../context.js';
import { type ClientConnectResult, connectFleet } from '../fleet.js';
import { buildUserPayload } from './publish.js';
import { type CompiledStep, resolveClients, type StepCompiler } from './step.js';
import { subscribeClient } from './subscribe.js';

export const compileConnect: StepCompiler<'connect'> = (step, plan) => {
  const idx = resolveClients(step.clients, step, plan);
  return {
    ref: step.ref,
    kind: step.kind,
    label: step.label,
    run: (ctx) => connectFleet(ctx, idx, step.pace, (c) => connectAndReport(ctx, c, step.ref, undefined)),
  } satisfies CompiledStep;
};

/** connectClient, plus what the fleet's summary needs: connected or not, Session Present. */
export async function connectAndReport(
  ctx: EngineContext,
  c: EngineClient,
  stepRef: number,
  cleanOverride: boolean | undefined,
): Promise<ClientConnectResult> {
  const notes = await connectClient(ctx, c, stepRef, cleanOverride);
  const session = c.session;
  return session === undefined
    ? { notes, connected: false }
    : { notes, connected: true, sessionPresent: session.connack.sessionPresent };
}

/**
 * Connects one client and (re)subscribes as its definition says. `cleanOverride` is a reconnect's
 * `clean:`; undefined uses the client's own flag. Returns the step notes for it.
 */
export async function connectClient(
  ctx: EngineContext,
  c: EngineClient,
  stepRef: number,
  cleanOverride: boolean | undefined,
): Promise<string[]> {
  const def = c.def;
  if (c.session !== undefined) return [`${def.name} already connected`];
  const clean = cleanOverride ?? def.clean;
  const conn = ctx.target.connectionFor(def);
  const transportName = def.transport ?? conn.transport;
  const at = ctx.now();
  const options: ConnectOptions = {
    url: conn.url,
    clientId: def.clientId,
    protocol: c.protocol,
    clean,
    keepalive: def.keepalive,
    // The transport's own bound, shortened to what is left of the scenario deadline.
    connectTimeoutMs: ctx.bound(ctx.timings.connectTimeoutMs).ms,
  };
  if (conn.tls !== undefined) options.tls = conn.tls;
  if (conn.extra !== undefined) options.extra = conn.extra;
  const username = def.username ?? conn.username;
  const password = def.password ?? conn.password;
  if (username !== undefined) options.username = username;
  if (password !== undefined) options.password = password;
  if (c.protocol === '5' && def.sessionExpiry !== undefined) options.sessionExpiry = def.sessionExpiry;
  if (def.acks !== undefined) options.acks = def.acks;
  c.connects++;
  const connectNo = c.connects;
  if (def.will !== undefined) {
    // The will carries an identity too, so its receipt is attributed to this client and run,
    // unless it says `identity: none` (exact bytes, e.g. an empty retained will).
    const header =
      def.will.identity === 'none' ? '' : formatWillHeader(ctx.record.runId, c.idx, connectNo, at);
    const will: WillMessage = {
      topic: def.will.topic,
      payload: withHeader(header, def.will.payload),
      qos: def.will.qos,
      retain: def.will.retain,
    };
    if (def.will.properties !== undefined) will.properties = def.will.properties;
    options.will = will;
  }
  const record: (typeof ctx.record.connects)[number] = { client: c.idx, stepRef, at, clean };
  ctx.record.connects.push(record);
  ctx.model.connectStarted(c.idx, at);
  let session: TransportSession;
  try {
    const transport = await ctx.getTransport(transportName);
    const pending = transport.connect(options);
    // The transport bounds the wait itself; this one ends it early on Ctrl+C or another failure.
    const r = await ctx.awaitAnswer(pending, options.connectTimeoutMs + 1000);
    if (!r.ok) {
      // A connection that completes after all is closed at once.
      pending.then((s) => s.disconnect({ how: 'abrupt' })).catch(() => undefined);
      ctx.model.connectFailed(c.idx, ctx.now());
      if (!r.timedOut) return [`${def.name}: connect abandoned (the scenario stopped)`];
      const message = `${def.name}: no CONNACK from the broker ${ctx.describeBound(r.afterMs, r.byDeadline)}`;
      record.error = { code: 'E_NO_ANSWER', message };
      throw new StepError('no-answer', message);
    }
    session = r.value;
  } catch (error) {
    if (error instanceof StepError) throw error;
    ctx.model.connectFailed(c.idx, ctx.now());
    const err =
      error instanceof MqscenError
        ? error
        : new TransportError(`${def.name}: connect failed: ${(error as Error)?.message ?? String(error)}`, {
            transport: transportName,
            cause: error,
          });
    record.error = { code: err.code, message: err.message };
    if (err instanceof TransportError && err.reasonCode !== undefined) {
      record.error.reasonCode = err.reasonCode;
      // A refusal the scenario asserts (e.g. 0x87 Not authorized) is the behaviour under test.
      if (ctx.declared.refusal('connack', c.idx, stepRef, err.reasonCode)) {
        ctx.offlineAsDeclared.add(c.idx);
        return [`${def.name} refused: CONNACK 0x${err.reasonCode.toString(16)} (expected by reason-code)`];
      }
    }
    if (
      err instanceof TransportError &&
      ctx.declared.connectDenied(c.idx) &&
      (err.reasonCode === 0x87 || err.reasonCode === 0x05 || /before CONNACK/i.test(err.message))
    ) {
      // POL-10: refused by policy (CONNACK 0x87, or closed before CONNACK on MQTT 3.1.1), as `denied` expects.
      ctx.offlineAsDeclared.add(c.idx);
      return [`${def.name} refused (expected by denied): ${err.message}`];
    }
    throw err;
  }
  const connack = session.connack;
  record.connack = connack;
  c.session = session;
  ctx.offlineAsDeclared.delete(c.idx);
  // Read once: the getter is not free and this handler runs for every message.
  const traceReceipts = debugReceipts.enabled;
  session.on('message', (msg) => {
    const kind = ctx.record.onMessage(
      c.idx,
      msg.topic,
      msg.payload,
      msg.retain,
      msg.receivedAt,
      msg.qos,
      msg.subscriptionIdentifiers,
      msg.dup,
      msg.properties,
    );
    if (traceReceipts) {
      debugReceipts(
        '%s got %s on %s (%s): %s',
        def.name,
        kind,
        msg.topic,
        connectNo,
        Buffer.from(msg.payload.subarray(0, 40)).toString('latin1').trim(),
      );
    }
    ctx.notifyReceipt();
  });
  session.on('lost', (loss) => {
    if (c.session !== session) return;
    c.session = undefined;
    const lostAt = ctx.now();
    const inStep = ctx.currentStep?.ref ?? 0;
    const d: (typeof ctx.record.disconnects)[number] = {
      client: c.idx,
      stepRef: inStep,
      at: lostAt,
      how: 'lost',
      message: loss.message,
    };
    if (loss.reasonCode !== undefined) d.reasonCode = loss.reasonCode;
    ctx.record.disconnects.push(d);
    ctx.model.disconnected(c.idx, lostAt);
    debug('%s lost: %s', def.name, loss.message);
    // The broker's reason (MQTT 5 DISCONNECT) is in loss.message: shown with the step either way.
    const taker = ctx.clients.find((o) => o.def.takesOver === def.name && o.connects > 0);
    if (taker !== undefined) {
      // The scenario's own takeover (`takeover: true`): the broker must close the older
      // connection [MQTT-3.1.4-3]; a DISCONNECT before the close, which MQTT 5 allows (4.13),
      // must say 0x8E Session taken over.
      if (c.protocol === '5' && loss.reasonCode !== undefined && loss.reasonCode !== 0x8e) {
        const got = `DISCONNECT 0x${loss.reasonCode.toString(16)}`;
        ctx.fail(
          new StepError(
            'wrong-disconnect',
            `${def.name}: ${taker.def.name} took over its client id; expected DISCONNECT 0x8E Session taken over [MQTT-3.1.4-3], got ${got}`,
          ),
        );
        return;
      }
      ctx.offlineAsDeclared.add(c.idx);
      ctx.pendingNotes.push(`${def.name}: session taken over by ${taker.def.name} (${loss.message})`);
      return;
    }
    if (ctx.declared.brokerDisconnect(c.idx, inStep)) {
      ctx.offlineAsDeclared.add(c.idx);
      ctx.pendingNotes.push(`${def.name}: connection closed by the broker as declared (${loss.message})`);
      return;
    }
    if (ctx.target.causedLoss?.(def.name) === true) {
      ctx.offlineAsDeclared.add(c.idx);
      ctx.pendingNotes.push(`${def.name}: connection cut by a staged fault (${loss.message})`);
      return;
    }
    ctx.pendingNotes.push(`${def.name}: connection lost (${loss.message})`);
    ctx.fail(new StepError('connection-lost', `${def.name}: connection lost (${loss.message})`));
  });
  // A session outlives the connection with cleanSession=0 (3.1.1) [MQTT-3.1.2-4] or a Session
  // Expiry Interval > 0 (MQTT 5) [MQTT-3.1.2-23]; the broker may lower the interval (PS-3).
  const expiryS = connack.sessionExpiry ?? def.sessionExpiry ?? 0;
  const persistent = c.protocol === '3.1.1' ? !clean : expiryS > 0;
  // A reconnect that changed the protocol version: where the broker does not resume a session
  // across versions (AWS IoT PS-5) a fresh one is its rule, not an early discard.
  const crossed = c.connectedAs !== undefined && c.connectedAs !== c.protocol;
  const freshAcross =
    crossed && !connack.sessionPresent && !brokerBehaviour(ctx.target.behaviour).crossVersionResume;
  c.connectedAs = c.protocol;
  ctx.model.connected(c.idx, ctx.now(), {
    clean: clean || freshAcross,
    sessionPresent: connack.sessionPresent,
    persistent,
    sessionExpiryMs: c.protocol === '3.1.1' ? (persistent ? Number.POSITIVE_INFINITY : 0) : expiryS * 1000,
  });
  const notes = [`${def.name} sessionPresent=${connack.sessionPresent}`];
  if (freshAcross)
    notes.push(`${def.name}: a new session, as this broker resumes none across protocol versions (PS-5)`);
  if (connack.reasonCode !== 0) notes.push(`${def.name} CONNACK 0x${connack.reasonCode.toString(16)}`);
  debug('%s connected (sessionPresent=%s)', def.name, connack.sessionPresent);
  // Resubscribe when the broker has no session for us, or when our model has no record of the
  // subscriptions (a session left by an earlier run): re-subscribing replaces, never adds (PS-11).
  const known = ctx.model.clients[c.idx]?.subs.size ?? 0;
  if (
    def.subscriptions.length > 0 &&
    (def.resubscribe === 'always' || !connack.sessionPresent || known === 0)
  ) {
    notes.push(...(await subscribeClient(ctx, c, stepRef, def.subscriptions)));
  }
  return notes;
}

function withHeader(header: string, payload: Parameters<typeof buildUserPayload>[0]): Uint8Array {
  const user = buildUserPayload(payload, header.length);
  const out = Buffer.allocUnsafe(header.length + user.length);
  out.write(header, 0, 'latin1');
  out.set(user, header.length);
  return out;
}
