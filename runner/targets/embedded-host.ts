/**
 * The embedded broker in a child process of the runner (`process: child` on an embedded target,
 * or `auto` for a large fleet): the runner's clients and the broker's server sockets then count
 * against two open-files limits, not one, and the broker gets its own event loop. Started by
 * `embedded.ts` with `fork()`; speaks over the IPC channel only:
 *
 *   parent → { type: 'start', profile, settings, policy }   ← { type: 'started', urls } | { type: 'failed', message }
 *   parent → { id, type: 'usePolicy', file }                  ← { id, ok: true } | { id, ok: false, message }
 *   parent → { id, type: 'snapshot', sinceMs }                ← { id, ok: true, stats, refusals, rss }
 *   parent → { type: 'close' }                                ← exits once the broker closed
 *
 * It exits when the channel closes, so a runner that dies never leaves a broker behind.
 */
import type { BrokerSettings } from '../../broker/index.js';
import { createEmbeddedPolicyEnforcer, type EmbeddedPolicyOptions } from './embedded-policy.js';

export interface HostStart {
  type: 'start';
  profile: 'aws-iot' | 'mosquitto';
  settings: Partial<BrokerSettings>;
  policy?: EmbeddedPolicyOptions;
}

export type HostRequest =
  | { id: number; type: 'usePolicy'; file: string | undefined }
  | { id: number; type: 'snapshot'; sinceMs: number };

export type HostReply =
  | { type: 'started'; urls: { mqtt?: string; ws?: string } }
  | { type: 'failed'; message: string }
  | { id: number; ok: false; message: string }
  | { id: number; ok: true; stats?: Record<string, unknown>; refusals?: unknown[]; rss?: number };

const send = (m: HostReply): void => {
  process.send?.(m);
};

let closeBroker: (() => Promise<void>) | undefined;
let exiting = false;
async function exit(): Promise<void> {
  if (exiting) return;
  exiting = true;
  const bounded = new Promise((resolve) => setTimeout(resolve, 3000).unref());
  await Promise.race([closeBroker?.().catch(() => undefined), bounded]);
  process.disconnect?.();
  process.exit(0);
}

process.on('disconnect', () => void exit());

process.on('message', async (m: HostStart | HostRequest | { type: 'close' }) => {
  if (m.type === 'close') return void exit();
  if (m.type === 'start') {
    try {
      const policy = m.profile === 'aws-iot' ? await createEmbeddedPolicyEnforcer(m.policy) : undefined;
      const { startBroker } = await import('../../broker/index.js');
      const broker = await startBroker({
        profile: m.profile,
        listeners: { mqtt: {}, ws: {} },
        settings: m.settings,
        ...(policy === undefined ? {} : { authorize: policy.authorizer }),
      });
      closeBroker = () => broker.close();
      handlers.usePolicy = async (file) => {
        await policy?.usePolicy(file);
      };
      handlers.snapshot = (sinceMs) => {
        const stats = broker.stats() as unknown as Record<string, unknown>;
        const policyStats = policy?.stats();
        return {
          stats: policyStats === undefined ? stats : { ...stats, policy: policyStats },
          ...(policy === undefined ? {} : { refusals: policy.refusals(sinceMs) }),
          rss: process.memoryUsage.rss(),
        };
      };
      send({ type: 'started', urls: { ...broker.urls } });
    } catch (error) {
      send({ type: 'failed', message: (error as Error)?.message ?? String(error) });
    }
    return;
  }
  try {
    if (m.type === 'usePolicy') {
      await handlers.usePolicy?.(m.file);
      send({ id: m.id, ok: true });
    } else {
      send({ id: m.id, ok: true, ...handlers.snapshot?.(m.sinceMs) });
    }
  } catch (error) {
    send({ id: m.id, ok: false, message: (error as Error)?.message ?? String(error) });
  }
});

const handlers: {
  usePolicy?: (file: string | undefined) => Promise<void>;
  snapshot?: (sinceMs: number) => { stats: Record<string, unknown>; refusals?: unknown[]; rss: number };
} = {};
