/**
 * A loopback relay for the SDK's MQTT 3.1.1 connection. That connection's `close()` does not close
 * a live socket, and it has no other way to drop its socket without DISCONNECT; so it connects
 * through this relay, and cutting the relay is `disconnect({ how: 'abrupt' })`: the broker sees the
 * TCP connection end without DISCONNECT and publishes the will [MQTT-3.1.2-8].
 */
import net from 'node:net';
import type { mqtt } from 'aws-iot-device-sdk-v2';

export interface Relay {
  proxyOptions: mqtt.MqttConnectionConfig['proxy_options'];
  /** Cuts every tunnel at once (abrupt). */
  close(): void;
  /** Stops listening and lets the tunnels finish what they carry (graceful), bounded. */
  release(): void;
}

/**
 * A minimal HTTP CONNECT proxy on 127.0.0.1 that tunnels to host:port. The SDK connects through it
 * (tunneling mode, so TLS is end to end); closing it destroys the tunnel sockets.
 */
export async function startRelay(host: string, port: number): Promise<Relay> {
  const { http } = await import('aws-iot-device-sdk-v2');
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 8192) client.destroy();
        return;
      }
      client.off('data', onData);
      const rest = head.subarray(end + 4);
      // Always tunnel to the configured endpoint, whatever the request line says.
      const upstream = net.connect({ host, port });
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => {
        if (!client.destroyed) client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
        upstream.destroy();
      });
      // Half-closes pass through (pipe ends the other side), so a DISCONNECT written just before
      // the client closes still reaches the broker.
      client.on('error', () => upstream.destroy());
      upstream.on('connect', () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        if (rest.length > 0) upstream.write(rest);
        client.pipe(upstream);
        upstream.pipe(client);
      });
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref();
  const relayPort = (server.address() as net.AddressInfo).port;
  return {
    proxyOptions: new http.HttpProxyOptions(
      '127.0.0.1',
      relayPort,
      undefined,
      undefined,
      undefined,
      undefined,
      http.HttpProxyConnectionType.Tunneling,
    ),
    close() {
      server.close();
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    release() {
      // The client closes its own socket after DISCONNECT; the pipes carry that end through.
      // Ending the sockets here could drop bytes not yet read (and with them the DISCONNECT).
      server.close();
      const open = [...sockets];
      setTimeout(() => {
        for (const s of open) s.destroy();
      }, 2000).unref();
    },
  };
}
