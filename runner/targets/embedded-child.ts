/**
 * The `embedded` target with its broker in a child process (`embedded-host.ts`): the same broker,
 * profile, settings and policies, on its own event loop and under its own open-files limit, so a
 * fleet of 10,000 clients holds 10,000 sockets in each process instead of 20,000 in one.
 *
 * The broker's counters and the policy's refusals live in the child: `refresh()` fetches them
 * before the engine reads `stats()` and `policyRefusals()` (at a scenario's start and end), so
 * what the verdict reads is never stale. Policy files are also loaded here first, so a broken one
 * is still exit 2 at file:line:col, exactly as in process.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import createDebug from 'debug';
import { BrokerError } from '../errors.js';
import type { PolicyRefusalResult } from '../results.js';
import { type EmbeddedTarget, type EmbeddedTargetOptions, embeddedTargetBase } from './embedded.js';
import type { HostReply, HostRequest, HostStart } from './embedded-host.js';
import { createEmbeddedPolicyEnforcer } from './embedded-policy.js';

const debug = createDebug('mqscen:target:embedded');

/** How long the child may take to listen (a loaded 2-core machine starts node in ~0.5 s). */
const START_TIMEOUT_MS = 20_000;

/** A started child-process broker: an EmbeddedTarget plus the child's pid (benchmarks read its RSS). */
export interface EmbeddedChildTarget extends EmbeddedTarget {
  readonly pid: number;
}

export async function startEmbeddedChildTarget(
  options: EmbeddedTargetOptions & { name: string; profile: NonNullable<EmbeddedTargetOptions['profile']> },
): Promise<EmbeddedChildTarget> {
  const { name, profile } = options;
  // Read here as well as in the child: a broken policy file is exit 2 with its position.
  const localPolicy = profile === 'aws-iot' ? await createEmbeddedPolicyEnforcer(options.policy) : undefined;
  const child = spawnHost();
  const pending = new Map<number, (reply: HostReply) => void>();
  let nextId = 1;
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      debug('broker process %d exited (%s)', child.pid, signal ?? code);
      for (const settle of pending.values())
        settle({ id: 0, ok: false, message: 'the broker process exited' });
      pending.clear();
      resolve();
    }),
  );
  child.on('message', (m: HostReply) => {
    if ('id' in m) {
      pending.get(m.id)?.(m);
      pending.delete(m.id);
    }
  });
  const request = (
    m: { type: 'usePolicy'; file: string | undefined } | { type: 'snapshot'; sinceMs: number },
  ): Promise<HostReply> =>
    new Promise((resolve) => {
      if (exited) return resolve({ id: 0, ok: false, message: 'the broker process exited' });
      const id = nextId++;
      pending.set(id, resolve);
      child.send({ ...m, id } as HostRequest);
    });

  const started = await new Promise<HostReply>((resolve) => {
    const timer = setTimeout(
      () => resolve({ type: 'failed', message: `no answer within ${START_TIMEOUT_MS} ms` }),
      START_TIMEOUT_MS,
    );
    child.once('error', (e) => resolve({ type: 'failed', message: e.message }));
    child.once('exit', (code) => resolve({ type: 'failed', message: `its process exited (code ${code})` }));
    child.on('message', (m: HostReply) => {
      if ('type' in m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    const start: HostStart = { type: 'start', profile, settings: options.settings ?? {} };
    if (options.policy !== undefined) start.policy = options.policy;
    child.send(start);
  });
  if (!('type' in started) || started.type !== 'started' || started.urls.mqtt === undefined) {
    child.kill('SIGKILL');
    const why =
      'type' in started && started.type === 'failed' ? started.message : 'it opened no mqtt listener';
    throw new BrokerError(`the embedded broker (profile ${profile}, own process) did not start: ${why}`, {
      hint: 'run with DEBUG=mqscen:broker for details, or set process: in-process on the target',
    });
  }
  const mqttUrl = started.urls.mqtt;
  debug('target %s: embedded broker (profile %s) in process %d at %s', name, profile, child.pid, mqttUrl);
  let snapshot: { stats?: Record<string, unknown>; refusals?: PolicyRefusalResult[] } = {};
  let closing: Promise<void> | undefined;
  return {
    ...embeddedTargetBase(name, profile, mqttUrl, started.urls.ws),
    pid: child.pid as number,
    async refresh(sinceMs: number) {
      const r = await request({ type: 'snapshot', sinceMs });
      if (!('ok' in r) || !r.ok) {
        // Without the broker's counters and refusals the verdict must not read stale ones.
        snapshot = {};
        throw new BrokerError(
          `the embedded broker's process did not answer: ${'message' in r ? r.message : '?'}`,
        );
      }
      snapshot = {};
      if (r.stats !== undefined) snapshot.stats = r.stats;
      if (r.refusals !== undefined) snapshot.refusals = r.refusals as PolicyRefusalResult[];
    },
    stats: () => snapshot.stats ?? {},
    ...(localPolicy === undefined
      ? {}
      : {
          async usePolicy(file: string | undefined) {
            await localPolicy.usePolicy(file);
            const r = await request({ type: 'usePolicy', file });
            if ('ok' in r && !r.ok) throw new BrokerError(`the embedded broker's policy: ${r.message}`);
          },
          policyRefusals: () => snapshot.refusals ?? [],
        }),
    close() {
      closing ??= (async () => {
        if (!exited) child.send({ type: 'close' });
        const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exitedPromise;
        clearTimeout(killer);
      })();
      return closing;
    },
  };
}

// --- internal ---

/** Forks the host: the compiled one from dist/, or the TypeScript source through tsx (tests, benches). */
function spawnHost(): ChildProcess {
  const self = fileURLToPath(import.meta.url);
  const fromSource = self.endsWith('.ts');
  const host = self.replace(/embedded-child\.(ts|js)$/, `embedded-host.${fromSource ? 'ts' : 'js'}`);
  return fork(host, [], {
    execArgv: fromSource ? ['--import', 'tsx'] : [],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}
