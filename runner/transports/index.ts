/**
 * The transport registry: user-facing name (a client's or target's `transport:`) → lazy factory.
 * Each entry imports its implementation only when asked, so `mqscen validate` and MQTT.js runs
 * never load the AWS SDK, and `validate` does not load MQTT.js either.
 */
import { UsageError } from '../errors.js';
import type { Transport } from './transport.js';

type TransportLoader = () => Promise<Transport>;

const REGISTRY: Readonly<Record<string, TransportLoader>> = {
  mqttjs: async () => (await import('./mqttjs.js')).mqttjsTransport,
  'aws-iot-sdk': async () => (await import('./aws-iot-sdk/index.js')).awsIotSdkTransport,
  'mqttjs-sigv4': async () => (await import('./mqttjs-sigv4.js')).mqttjsSigv4Transport,
  // Further transports register here, each with its own lazy import.
};

/** Every registered transport name, for schemas and error messages. */
export const transportNames: readonly string[] = Object.keys(REGISTRY);

const loaded = new Map<string, Promise<Transport>>();

/** The transport registered under `name`; UsageError (exit 2) listing the known names otherwise. */
export function getTransport(name: string): Promise<Transport> {
  const loader = Object.hasOwn(REGISTRY, name) ? REGISTRY[name] : undefined;
  if (loader === undefined) {
    return Promise.reject(
      new UsageError(
        `unknown transport "${name}"; known transports are ${transportNames.map((n) => `"${n}"`).join(', ')}`,
        { hint: 'set transport: to one of the known names (in the scenario client or the targets file)' },
      ),
    );
  }
  let p = loaded.get(name);
  if (p === undefined) {
    p = loader();
    loaded.set(name, p);
  }
  return p;
}
