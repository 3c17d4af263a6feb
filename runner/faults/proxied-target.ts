/**
 * A target whose clients connect through a fault proxy: each proxied client gets its own
 * listener, forwarding to where the wrapped target would have sent it. Everything else
 * (behaviour, transport, credentials, stats, close) is the wrapped target's.
 */
import { isIP } from 'node:net';
import type { ResolvedClient } from '../scenario/types.js';
import type { StartedTarget, TargetConnection } from '../targets/target.js';
import { URL_SCHEMES } from '../transports/url.js';
import type { FaultEvent } from './fault.js';
import type { FaultProxy } from './fault-proxy.js';

export interface ProxiedTargetOptions {
  /** Names of the clients that go through the proxy. @default every client */
  only?: readonly string[];
  /**
   * Open the listeners with `packets: true`, so packet rules can act on them. Only for plaintext
   * `mqtt://` (or `tcp://`) connections. @default false
   */
  packets?: boolean;
}

const PLAIN = new Set(['mqtt:', 'tcp:']);
const TLS = new Set(['mqtts:', 'ssl:', 'tls:', 'wss:']);

/**
 * Opens a proxy listener for every (chosen) client of the scenario and returns the target the
 * engine runs against. TLS clients keep the broker's host name for SNI and certificate checks.
 * Throws when `packets` is asked for a connection that is not plaintext MQTT.
 */
export async function proxyTarget(
  target: StartedTarget,
  proxy: FaultProxy,
  clients: readonly ResolvedClient[],
  options: ProxiedTargetOptions = {},
): Promise<StartedTarget> {
  const chosen = options.only === undefined ? clients : clients.filter((c) => options.only?.includes(c.name));
  const routes = new Map<string, { port: number; hostname: string }>();
  for (const c of chosen) {
    const conn = target.connectionFor(c);
    const url = new URL(conn.url);
    const port = url.port === '' ? URL_SCHEMES[url.protocol] : Number(url.port);
    if (port === undefined) throw new Error(`fault proxy: cannot proxy ${url.protocol} (client "${c.name}")`);
    const packets = options.packets ?? false;
    if (packets && !PLAIN.has(url.protocol)) {
      throw new Error(
        `fault proxy: packet faults need a plaintext mqtt:// connection; client "${c.name}" uses ${url.protocol}`,
      );
    }
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const listener = await proxy.addClient(c.name, { upstream: { host: hostname, port }, packets });
    routes.set(c.name, { port: listener.port, hostname });
  }
  const wrapped: StartedTarget = {
    name: target.name,
    kind: target.kind,
    behaviour: target.behaviour,
    transport: target.transport,
    url: target.url,
    ...(target.capabilities === undefined ? {} : { capabilities: target.capabilities }),
    ...(target.insecure === undefined ? {} : { insecure: target.insecure }),
    ...(target.stats === undefined ? {} : { stats: target.stats.bind(target) }),
    ...(target.usePolicy === undefined ? {} : { usePolicy: target.usePolicy.bind(target) }),
    ...(target.policyRefusals === undefined ? {} : { policyRefusals: target.policyRefusals.bind(target) }),
    connectionFor(client: ResolvedClient): TargetConnection {
      const conn = target.connectionFor(client);
      const route = routes.get(client.name);
      if (route === undefined) return conn;
      const url = new URL(conn.url);
      url.hostname = '127.0.0.1';
      url.port = String(route.port);
      const out: TargetConnection = { ...conn, url: url.toString() };
      // SNI and the certificate check keep the broker's name (SNI cannot carry an IP address).
      if (TLS.has(url.protocol) && isIP(route.hostname) === 0) {
        out.tls = { ...conn.tls, servername: conn.tls?.servername ?? route.hostname };
      }
      return out;
    },
    close: () => target.close(),
    causedLoss: (client) => proxy.events.some((e) => cutsConnection(e, client)),
  };
  return wrapped;
}

// --- internal ---

/** Faults that end or starve a connection, so that the client's keep-alive or socket gives up. */
const CUTTING_FAULTS = new Set<string>([
  'blackhole',
  'reset',
  'limit-data',
  'down',
  'partition',
  'slow-close',
]);

/** True when `e` is the proxy breaking `client`'s connection on purpose. */
function cutsConnection(e: FaultEvent, client: string): boolean {
  switch (e.type) {
    case 'packet':
      return e.client === client && e.action.startsWith('cut');
    case 'connection':
      return (
        e.client === client &&
        (e.action === 'reset' || e.action === 'limit' || e.action === 'refused' || e.action === 'cut')
      );
    case 'applied':
      return (e.clients === undefined || e.clients.includes(client)) && CUTTING_FAULTS.has(e.kind);
    default:
      return false;
  }
}
