/**
 * The end of a scenario: every client closed within its bound, and on a broker that outlives the
 * run the sessions this run left behind discarded, so the next run does not resume them.
 */
import type { ConnectOptions, DisconnectOptions } from '../transports/transport.js';
import { debug, type EngineContext, sleep, withBound } from './context.js';
import { DEFAULT_CONNECT_CONCURRENCY, forEachBounded } from './fleet.js';

/** Closes every client still connected: graceful within the bound, else the socket is destroyed. */
export async function teardown(ctx: EngineContext, cutShort: boolean): Promise<void> {
  const gracefulMs = cutShort ? Math.min(1000, ctx.timings.teardownMs) : ctx.timings.teardownMs;
  await Promise.all(
    ctx.clients.map(async (c) => {
      const session = c.session;
      if (session === undefined) return;
      c.session = undefined;
      ctx.model.disconnectStarted(c.idx);
      // MQTT 5: end a persistent session with the connection (Session Expiry 0 on DISCONNECT,
      // PS-4) so a later run on a long-lived broker does not resume it with stale messages.
      const opts: DisconnectOptions = { how: 'graceful' };
      if (c.protocol === '5' && ctx.cleanupSessions) opts.sessionExpiry = 0;
      const r = await withBound(
        session.disconnect(opts).catch(() => undefined),
        gracefulMs,
      );
      if (r.timedOut)
        await withBound(
          session.disconnect({ how: 'abrupt' }).catch(() => undefined),
          1000,
        );
      const at = ctx.now();
      ctx.record.disconnects.push({ client: c.idx, stepRef: 0, at, how: 'teardown' });
      ctx.model.disconnected(c.idx, at);
    }),
  );
  // A broker that went away or stopped answering is not asked again (each connect would wait out
  // its bound); the next run's clean start discards what is left.
  if (
    ctx.cleanupSessions &&
    ctx.target.capabilities?.outlivesRun === true &&
    ctx.failure === undefined &&
    !ctx.deadlineReached
  )
    await wipeSessions(ctx);
}

/**
 * On a long-lived broker, sessions this run left behind (3.1.1 cleanSession=0, or an MQTT 5
 * client still offline with its session) would be resumed by the next run with stale queued
 * messages. A connect with Clean Start discards them [MQTT-3.1.2-4] (PS-9). Best effort, bounded.
 */
async function wipeSessions(ctx: EngineContext): Promise<void> {
  // Per client once (a fleet of 10,000 would otherwise filter every record for every client).
  const connectsOf = new Map<number, Array<(typeof ctx.record.connects)[number]>>();
  for (const r of ctx.record.connects) {
    if (r.connack === undefined) continue;
    const list = connectsOf.get(r.client);
    if (list === undefined) connectsOf.set(r.client, [r]);
    else list.push(r);
  }
  const lastDisconnectOf = new Map<number, (typeof ctx.record.disconnects)[number]>();
  for (const d of ctx.record.disconnects) lastDisconnectOf.set(d.client, d);
  const stale = ctx.clients.filter((c) => {
    const connects = connectsOf.get(c.idx) ?? [];
    if (connects.length === 0) return false;
    if (c.protocol === '3.1.1') return connects.some((r) => !r.clean);
    // MQTT 5 clients online at the end ended their session with DISCONNECT (Session Expiry 0).
    const lastDisconnect = lastDisconnectOf.get(c.idx);
    return (
      lastDisconnect !== undefined && lastDisconnect.how !== 'teardown' && (c.def.sessionExpiry ?? 0) > 0
    );
  });
  if (stale.length === 0) return;
  // Some brokers accept one CONNECT per client id per interval (AWS IoT: one per second, C-4).
  const pacing = ctx.target.capabilities?.connectPacingMs ?? 0;
  if (pacing > 0) await sleep(pacing, AbortSignal.timeout(pacing));
  // As many at once as a connect step allows: a fleet's clean-up is a reconnect storm too.
  await forEachBounded(stale, DEFAULT_CONNECT_CONCURRENCY, async (c) => {
    try {
      const conn = ctx.target.connectionFor(c.def);
      const transport = await ctx.getTransport(c.def.transport ?? conn.transport);
      const options: ConnectOptions = {
        url: conn.url,
        clientId: c.def.clientId,
        protocol: c.protocol,
        clean: true,
        keepalive: c.def.keepalive,
        connectTimeoutMs: ctx.timings.connectTimeoutMs,
      };
      if (conn.tls !== undefined) options.tls = conn.tls;
      if (conn.extra !== undefined) options.extra = conn.extra;
      const username = c.def.username ?? conn.username;
      const password = c.def.password ?? conn.password;
      if (username !== undefined) options.username = username;
      if (password !== undefined) options.password = password;
      const session = await transport.connect(options);
      await withBound(session.disconnect({ how: 'graceful' }), ctx.timings.teardownMs);
      debug('%s: session left by this run discarded', c.def.name);
    } catch (error) {
      debug('%s: could not discard its session: %O', c.def.name, error);
    }
  });
}
