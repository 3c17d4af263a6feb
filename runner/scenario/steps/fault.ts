/**
 * `fault: { clients, kind, stream, for, ...parameters }`: a network fault in Toxiproxy's
 * vocabulary, staged by the run's fault proxy on the connections of the named clients (open ones
 * and every reconnect while it lasts). Each kind takes its own parameters; a parameter of another
 * kind, or a missing one, is refused here so the engine never guesses.
 */
import type { DocPath } from '../../document/yaml.js';
import { writeDuration } from '../duration.js';
import { labelled, type ResolveContext, refsText, type StepResolver, stepBody } from '../resolver.js';
import type { Step } from '../schema-types.js';
import type { ToxicSpec } from '../toxics.js';

type FaultBody = NonNullable<Step['fault']>;
type FaultKind = FaultBody['kind'];
type Param = Exclude<keyof FaultBody, 'clients' | 'kind' | 'stream' | 'for'>;

/** The parameters each kind takes; the first ones listed `required` must be given. */
const PARAMS: { readonly [K in FaultKind]: { required: readonly Param[]; optional: readonly Param[] } } = {
  latency: { required: ['latency'], optional: ['jitter'] },
  bandwidth: { required: ['rate'], optional: [] },
  blackhole: { required: [], optional: ['drop'] },
  reset: { required: [], optional: ['after'] },
  'slow-close': { required: ['delay'], optional: [] },
  slicer: { required: ['size'], optional: ['sizeVariation', 'delay'] },
  'limit-data': { required: ['bytes'], optional: [] },
  down: { required: [], optional: ['keepExisting'] },
};

const ALL_PARAMS: readonly Param[] = [
  'latency',
  'jitter',
  'rate',
  'after',
  'delay',
  'size',
  'sizeVariation',
  'bytes',
  'drop',
  'keepExisting',
];

export const resolveFault: StepResolver<'fault'> = (node, head, cx) => {
  const body = stepBody(node, 'fault');
  const at: DocPath = [...node.path, 'fault'];
  const clientsPath: DocPath = [...at, 'clients'];
  const clients = cx.clients(body.clients, clientsPath);
  checkProxied(cx, clients, clientsPath);
  const allowed = PARAMS[body.kind];
  for (const p of ALL_PARAMS) {
    if (body[p] !== undefined && !allowed.required.includes(p) && !allowed.optional.includes(p)) {
      const fits = (Object.keys(PARAMS) as FaultKind[]).filter(
        (k) => PARAMS[k].required.includes(p) || PARAMS[k].optional.includes(p),
      );
      cx.error(
        [...at, p],
        `\`${p}\` is not a parameter of a ${body.kind} fault (it belongs to ${fits.join(', ')}); ${describeParams(body.kind)}`,
      );
    }
  }
  for (const p of allowed.required) {
    if (body[p] === undefined)
      cx.error(at, `a ${body.kind} fault needs \`${p}\`; ${describeParams(body.kind)}`);
  }
  if (body.kind === 'down' && body.stream !== undefined)
    cx.error([...at, 'stream'], 'a down fault refuses whole connections: it has no stream; remove `stream`');
  const ms = (p: 'latency' | 'jitter' | 'after' | 'delay') => cx.duration(body[p], [...at, p]);
  const spec = toxic(body, ms);
  const durationMs = cx.duration(body.for, [...at, 'for']);
  if (durationMs === 0)
    cx.error(
      [...at, 'for'],
      'a fault `for: 0` ends before it starts; give a duration or leave `for` out (until healed)',
    );
  const stream = body.stream ?? 'both';
  const step: ReturnType<StepResolver<'fault'>>['step'] = {
    ...head,
    kind: 'fault',
    label: labelled(
      node.raw.name,
      `fault ${describeSpec(spec)} on ${refsText(body.clients)}${stream === 'both' || body.kind === 'down' ? '' : ` (${stream})`}${durationMs === undefined ? '' : ` for ${writeDuration(durationMs)}`}`,
    ),
    clients,
    spec,
    stream,
  };
  if (durationMs !== undefined) step.durationMs = durationMs;
  return { step, clients: { instances: clients, path: clientsPath, effect: 'fault' } };
};

/** A fault or partition may only name clients that can go through the proxy. */
export function checkProxied(cx: ResolveContext, clients: readonly string[], path: DocPath): void {
  const refused = clients.filter((i) => cx.declarationOf(i)?.proxy === false);
  if (refused.length > 0) {
    cx.error(
      path,
      `${refused.join(', ')} ${refused.length === 1 ? 'does' : 'do'} not use the fault proxy (\`proxy: false\`), so no fault can reach ${refused.length === 1 ? 'it' : 'them'}; remove \`proxy: false\` or the client from this step`,
    );
  }
}

/** "latency 200ms ± 20ms", for labels. */
export function describeSpec(spec: ToxicSpec): string {
  switch (spec.kind) {
    case 'latency':
      return `latency ${writeDuration(spec.latencyMs)}${spec.jitterMs ? ` ± ${writeDuration(spec.jitterMs)}` : ''}`;
    case 'bandwidth':
      return `bandwidth ${spec.rateKBps} KB/s`;
    case 'blackhole':
      return spec.drop ? 'blackhole (dropping)' : 'blackhole';
    case 'reset':
      return spec.afterMs ? `reset after ${writeDuration(spec.afterMs)}` : 'reset';
    case 'slow-close':
      return `slow-close ${writeDuration(spec.delayMs)}`;
    case 'slicer':
      return `slicer ${spec.averageSize}${spec.sizeVariation ? ` ± ${spec.sizeVariation}` : ''} B`;
    case 'limit-data':
      return `limit-data ${spec.bytes} B`;
    case 'down':
      return spec.keepExisting ? 'down (new connections)' : 'down';
  }
}

// --- internal ---

function describeParams(kind: FaultKind): string {
  const { required, optional } = PARAMS[kind];
  const parts = [...required.map((p) => `\`${p}\``), ...optional.map((p) => `\`${p}\` (optional)`)];
  return parts.length === 0 ? `${kind} takes no parameters` : `${kind} takes ${parts.join(', ')}`;
}

function toxic(
  body: FaultBody,
  ms: (p: 'latency' | 'jitter' | 'after' | 'delay') => number | undefined,
): ToxicSpec {
  switch (body.kind) {
    case 'latency': {
      const spec: ToxicSpec = { kind: 'latency', latencyMs: ms('latency') ?? 0 };
      const jitter = ms('jitter');
      if (jitter !== undefined) spec.jitterMs = jitter;
      return spec;
    }
    case 'bandwidth':
      return { kind: 'bandwidth', rateKBps: body.rate ?? 1 };
    case 'blackhole':
      return body.drop === undefined ? { kind: 'blackhole' } : { kind: 'blackhole', drop: body.drop };
    case 'reset': {
      const after = ms('after');
      return after === undefined ? { kind: 'reset' } : { kind: 'reset', afterMs: after };
    }
    case 'slow-close':
      return { kind: 'slow-close', delayMs: ms('delay') ?? 0 };
    case 'slicer': {
      const spec: ToxicSpec = { kind: 'slicer', averageSize: body.size ?? 1 };
      if (body.sizeVariation !== undefined) spec.sizeVariation = body.sizeVariation;
      const delay = ms('delay');
      if (delay !== undefined) spec.delayUs = delay * 1000;
      return spec;
    }
    case 'limit-data':
      return { kind: 'limit-data', bytes: body.bytes ?? 1 };
    case 'down':
      return body.keepExisting === undefined
        ? { kind: 'down' }
        : { kind: 'down', keepExisting: body.keepExisting };
  }
}
