/**
 * Network listeners: mqtt (TCP), mqtts (TLS, optionally mTLS against a CA), ws and wss (path
 * `/mqtt`, subprotocol `mqtt`). Each hands a byte stream to the broker core.
 */
import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import createDebug from 'debug';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { BrokerCore } from './broker-core.js';
import type { Connection, ConnectionInfo } from './connection.js';
import { BrokerListenError } from './errors.js';

const debug = createDebug('mqscen:broker');

export interface TlsListenerOptions {
  port?: number;
  /** Server certificate, PEM. */
  cert: string;
  /** Server key, PEM. */
  key: string;
  /** CA bundle (PEM) client certificates must chain to when `requireClientCert`. */
  ca?: string;
  /** mTLS: refuse clients without a certificate issued by `ca`. */
  requireClientCert?: boolean;
}

export type UpgradeDecision =
  | { ok: true; principal?: string }
  | { ok: false; status: number; message: string };

export interface ListenerOptions {
  mqtt?: { port?: number };
  mqtts?: TlsListenerOptions;
  /** WebSocket on path /mqtt, subprotocol mqtt. */
  ws?: { port?: number };
  wss?: TlsListenerOptions & {
    /** Decides on the HTTP upgrade (e.g. SigV4 query check); a refusal answers with `status`. */
    verifyUpgrade?: (req: IncomingMessage) => UpgradeDecision;
  };
}

export interface BrokerUrls {
  mqtt?: string;
  mqtts?: string;
  ws?: string;
  wss?: string;
}

export interface Listeners {
  urls: BrokerUrls;
  close(): Promise<void>;
}

type AnyServer = NetServer | HttpServer;

export async function startListeners(
  broker: BrokerCore,
  host: string,
  options: ListenerOptions,
): Promise<Listeners> {
  const servers: AnyServer[] = [];
  const sockets = new Set<Socket>();
  const urls: BrokerUrls = {};
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const urlHost = host.includes(':') ? `[${host}]` : host;

  try {
    if (options.mqtt) {
      const server = createNetServer((socket) => {
        track(socket);
        socket.setNoDelay(true);
        broker.accept(socket, { listener: 'mqtt', ...remote(socket) });
      });
      servers.push(server);
      urls.mqtt = `mqtt://${urlHost}:${await listen(server, host, options.mqtt.port ?? 0, 'mqtt')}`;
    }
    if (options.mqtts) {
      const tlsOptions = options.mqtts;
      const server = createTlsServer(tlsServerOptions(tlsOptions), (socket: TLSSocket) => {
        socket.setNoDelay(true);
        broker.accept(socket, { listener: 'mqtts', ...remote(socket), ...peerName(socket) });
      });
      server.on('connection', track);
      server.on('tlsClientError', (error) => debug('mqtts handshake refused: %s', error.message));
      servers.push(server);
      urls.mqtts = `mqtts://${urlHost}:${await listen(server, host, tlsOptions.port ?? 0, 'mqtts')}`;
    }
    if (options.ws) {
      const server = createHttpServer((_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: connect to /mqtt\n');
      });
      server.on('connection', track);
      attachWebSocket(broker, server, 'ws');
      servers.push(server);
      urls.ws = `ws://${urlHost}:${await listen(server, host, options.ws.port ?? 0, 'ws')}/mqtt`;
    }
    if (options.wss) {
      const wssOptions = options.wss;
      const server = createHttpsServer(tlsServerOptions(wssOptions), (_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: connect to /mqtt\n');
      });
      server.on('connection', track);
      server.on('tlsClientError', (error) => debug('wss handshake refused: %s', error.message));
      attachWebSocket(broker, server, 'wss', wssOptions.verifyUpgrade);
      servers.push(server);
      urls.wss = `wss://${urlHost}:${await listen(server, host, wssOptions.port ?? 0, 'wss')}/mqtt`;
    }
  } catch (error) {
    await closeServers(servers, sockets);
    if (error instanceof BrokerListenError) throw error;
    // Typically a PEM text that is not a certificate or key, or a key that does not match.
    throw new BrokerListenError(`cannot start the broker listeners: ${(error as Error).message}`, {
      cause: error,
      hint: 'check the cert, key and ca PEM texts (mqscen certs prints the generated ones)',
    });
  }

  let closing: Promise<void> | undefined;
  return {
    urls,
    close() {
      closing ??= closeServers(servers, sockets);
      return closing;
    },
  };
}

// --- internal ---

function tlsServerOptions(options: TlsListenerOptions) {
  const requireClientCert = options.requireClientCert === true;
  return {
    cert: options.cert,
    key: options.key,
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
    // mTLS: the handshake fails unless the client presents a certificate that chains to `ca`.
    requestCert: requireClientCert,
    rejectUnauthorized: requireClientCert,
  };
}

function remote(socket: Socket): Pick<ConnectionInfo, 'remoteAddress'> {
  return socket.remoteAddress !== undefined ? { remoteAddress: socket.remoteAddress } : {};
}

/** The client certificate's subject CN (thing name) under mTLS. */
function peerName(socket: TLSSocket): Pick<ConnectionInfo, 'certificateCN'> {
  if (!socket.authorized) return {};
  const cn = socket.getPeerCertificate()?.subject?.CN;
  const value = Array.isArray(cn) ? cn[0] : cn;
  return typeof value === 'string' && value !== '' ? { certificateCN: value } : {};
}

function attachWebSocket(
  broker: BrokerCore,
  server: HttpServer,
  listener: 'ws' | 'wss',
  verifyUpgrade?: (req: IncomingMessage) => UpgradeDecision,
): void {
  const wss = new WebSocketServer({
    noServer: true,
    // The MQTT subprotocol [MQTT-6.0.0-3]; clients offering only `mqttv3.1` are served too.
    handleProtocols: (protocols) => {
      if (protocols.has('mqtt')) return 'mqtt';
      if (protocols.has('mqttv3.1')) return 'mqttv3.1';
      return false;
    },
  });
  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/mqtt') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    let principal: string | undefined;
    if (verifyUpgrade) {
      let decision: UpgradeDecision;
      try {
        decision = verifyUpgrade(req);
      } catch (error) {
        decision = { ok: false, status: 500, message: (error as Error).message };
      }
      if (!decision.ok) {
        const body = `${decision.message}\n`;
        socket.end(
          `HTTP/1.1 ${decision.status} ${statusText(decision.status)}\r\nConnection: close\r\n` +
            `Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
        return;
      }
      principal = decision.principal;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      let connection: Connection | undefined;
      // Registered before the stream's own listener, so a text frame never reaches the parser.
      ws.on('message', (_data, isBinary) => {
        if (isBinary || !connection) return;
        // [MQTT-6.0.0-1] MQTT travels in binary frames; any other data frame closes the connection.
        connection.endReason = 'WebSocket text frame';
        connection.endedBy = 'server';
        ws.close(1003, 'MQTT needs binary frames');
        connection.end();
      });
      const stream = createWebSocketStream(ws);
      stream.on('error', () => stream.destroy());
      const info: ConnectionInfo = { listener };
      if (req.socket.remoteAddress !== undefined) info.remoteAddress = req.socket.remoteAddress;
      if (principal !== undefined) info.principal = principal;
      if (listener === 'wss') Object.assign(info, peerName(req.socket as TLSSocket));
      connection = broker.accept(stream, info);
      const accepted = connection;
      ws.on('close', () => {
        // LC-4: a WebSocket Close from the client is a client-initiated disconnect, not a lost connection.
        if (
          (ws as unknown as { _closeFrameReceived?: boolean })._closeFrameReceived &&
          accepted.endedBy === 'network'
        ) {
          accepted.endedBy = 'client';
          accepted.endReason = 'WebSocket closed by the client';
        }
      });
    });
  });
}

function statusText(status: number): string {
  const texts: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden' };
  return texts[status] ?? 'Error';
}

function listen(server: AnyServer, host: string, port: number, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new BrokerListenError(`cannot start the ${name} listener on ${host}:${port}: ${error.message}`, {
          cause: error,
          hint: error.code === 'EADDRINUSE' ? 'pick another port, or 0 for a free one' : undefined,
        } as { cause: unknown; hint?: string }),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

async function closeServers(servers: AnyServer[], sockets: Set<Socket>): Promise<void> {
  const closed = servers.map(
    (server) =>
      new Promise<void>((resolve) => {
        if (!server.listening) {
          resolve();
          return;
        }
        server.close(() => resolve());
      }),
  );
  for (const socket of sockets) socket.destroy();
  const bound = new Promise<void>((resolve) => setTimeout(resolve, 2000).unref());
  await Promise.race([Promise.all(closed).then(() => undefined), bound]);
}
