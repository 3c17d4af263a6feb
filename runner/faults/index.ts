/**
 * Fault injection between clients and a broker: an in-process proxy (byte faults in Toxiproxy's
 * vocabulary, packet faults on plaintext MQTT) and a target wrapper that routes clients through
 * it. See README.md beside this file.
 */
export type * from './fault.js';
export {
  type ClientOptions,
  type FaultProxy,
  type FaultProxyOptions,
  type ProxiedClient,
  startFaultProxy,
} from './fault-proxy.js';
export { type ProxiedTargetOptions, proxyTarget } from './proxied-target.js';
