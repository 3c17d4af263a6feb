/**
 * The resolver contract. Each step kind (`steps/<kind>.ts`) and each assertion kind
 * (`assertions/<kind>.ts`) has one resolver: it takes the raw, schema-valid item with its
 * position and returns the resolved value, reporting every problem the schema cannot see through
 * the context. Each value is parsed once, here (durations, rates, comparisons, reason codes, client
 * references); the pipeline returns the problems when there are any, else the resolved scenario,
 * so the engine never meets a value that validation did not accept.
 */

import type { Problem } from '../document/problem.js';
import { closest } from '../document/suggest.js';
import { type DocPath, formatPath } from '../document/yaml.js';
import { reasonCode, reasonCodeNames } from '../transports/reason-codes.js';
import { type ClientCatalog, resolveClientRefs } from './client-refs.js';
import { type ComparisonKind, isComparisonError, parseComparison } from './comparison.js';
import { parseDuration } from './duration.js';
import type { Assertion, RawScenario, Step } from './schema-types.js';
import { findStep, type StepNode, type StepTree } from './step-tree.js';
import { checkTopicFilter, checkTopicName } from './topic-rules.js';
import type {
  Comparison,
  ResolvedAssertion,
  ResolvedStep,
  SourceRef,
  StepKind,
  StepTrigger,
} from './types.js';

/** Largest MQTT Four Byte Integer interval (Session/Message Expiry), seconds; also "never" [MQTT-3.1.2-23]. */
const MAX_INTERVAL_S = 0xffffffff;

/** How a step uses its clients, for the cross-step checks (sequence.ts). */
export interface ClientUse {
  instances: string[];
  /** Where the clients are written, for messages. */
  path: DocPath;
  /** `connect`: must be offline, then online; `reconnect`: was online before, offline now; `disconnect`: must be online, then offline; `use`: must be online (the verb says for what); `fault`: may end the connection (a reconnect after it is allowed). */
  effect: 'connect' | 'reconnect' | 'disconnect' | 'use' | 'fault';
  verb?: string;
}

export interface StepResolution<K extends StepKind = StepKind> {
  step: Extract<ResolvedStep, { kind: K }>;
  clients?: ClientUse;
}

/** The fields every resolved step has. */
export type StepHead = { ref: number; id?: string; source: SourceRef; after?: StepTrigger };

export type StepResolver<K extends StepKind> = (
  node: StepNode,
  head: StepHead,
  cx: ResolveContext,
) => StepResolution<K>;

type AssertionKind = ResolvedAssertion['kind'];
/** The fields every resolved assertion has except its label. */
export type AssertionHead = { index: number; onlyOn?: string[]; source: SourceRef };

export type AssertionResolver<K extends AssertionKind> = (
  raw: Assertion,
  path: DocPath,
  head: AssertionHead,
  cx: ResolveContext,
) => Extract<ResolvedAssertion, { kind: K }>;

/** The raw body of a step of a known kind (the schema guarantees it is there). */
export function stepBody<K extends keyof Step>(node: StepNode, key: K): NonNullable<Step[K]> {
  return node.raw[key] as NonNullable<Step[K]>;
}

/** `label` as written (`name:`) or generated. */
export function labelled(name: string | undefined, generated: string): string {
  return name ?? generated;
}

/** "subscriber[1..2], publisher": client references as written, for labels. */
export function refsText(refs: string | readonly string[]): string {
  return typeof refs === 'string' ? refs : refs.join(', ');
}

/**
 * What resolvers share: the document, the client catalog, the step tree, and one parse helper per
 * value type that reports at the given path and returns undefined on a problem.
 */
export class ResolveContext {
  readonly problems: Problem[] = [];
  readonly #locate: (path: DocPath, atKey: boolean) => { line: number; column: number } | undefined;
  readonly #resolved = new Map<number, ResolvedStep>();

  constructor(
    readonly doc: RawScenario,
    readonly catalog: ClientCatalog,
    readonly tree: StepTree,
    locate: (path: DocPath, atKey: boolean) => { line: number; column: number } | undefined,
  ) {
    this.#locate = locate;
  }

  error(path: DocPath, message: string): void {
    this.problems.push({ path, message });
  }

  warn(path: DocPath, message: string): void {
    this.problems.push({ path, message, severity: 'warning' });
  }

  get hasErrors(): boolean {
    return this.problems.some((p) => p.severity !== 'warning');
  }

  source(path: DocPath, atKey = false): SourceRef {
    const at = this.#locate(path, atKey);
    const ref: SourceRef = { path: formatPath(path) };
    if (at !== undefined) {
      ref.line = at.line;
      ref.column = at.column;
    }
    return ref;
  }

  /** Instances named by client references; unknown or out-of-range ones are reported (and left out). */
  clients(refs: string | readonly string[] | undefined, path: DocPath): string[] {
    if (refs === undefined) return [];
    const r = resolveClientRefs(refs, this.catalog);
    for (const e of r.errors) this.error(path, e);
    return r.instances;
  }

  /** `client` or `clients` of an assertion (either, not both); undefined when neither is written. */
  clientOrClients(
    body: { client?: string | readonly string[]; clients?: string | readonly string[] },
    path: DocPath,
    required: boolean,
  ): { refs: string | readonly string[]; instances: string[] } | undefined {
    if (body.client !== undefined && body.clients !== undefined) {
      this.error(path, 'give either `client` or `clients`, not both');
    } else if (required && body.client === undefined && body.clients === undefined) {
      this.error(path, 'needs `client` (or `clients`): whose connection or messages to check');
    }
    if (body.client !== undefined)
      return { refs: body.client, instances: this.clients(body.client, [...path, 'client']) };
    if (body.clients !== undefined)
      return { refs: body.clients, instances: this.clients(body.clients, [...path, 'clients']) };
    return undefined;
  }

  /** A duration in ms. */
  duration(value: string | undefined, path: DocPath): number | undefined {
    if (value === undefined) return undefined;
    const ms = parseDuration(value);
    if (typeof ms !== 'number') {
      this.error(path, ms.error);
      return undefined;
    }
    return ms;
  }

  /**
   * An MQTT interval in whole seconds (a fraction rounds up, so "1.5s" never becomes shorter);
   * `never` is the largest interval, which MQTT 5 reads as "does not expire" [MQTT-3.1.2-23].
   */
  interval(value: string | undefined, path: DocPath, what: string): number | undefined {
    if (value === undefined) return undefined;
    if (value === 'never') return MAX_INTERVAL_S;
    const ms = this.duration(value, path);
    if (ms === undefined) return undefined;
    const s = Math.ceil(ms / 1000);
    if (s > MAX_INTERVAL_S) {
      this.error(path, `${what} is at most 4294967295 s (about 136 years)`);
      return undefined;
    }
    return s;
  }

  comparison(value: string | number, path: DocPath, kind: ComparisonKind): Comparison | undefined {
    const c = parseComparison(value, kind);
    if (isComparisonError(c)) {
      this.error(path, c.error);
      return undefined;
    }
    return c;
  }

  /** A reason code number from a number or a name such as `not-authorized`. */
  reasonCode(value: number | string, path: DocPath): number | undefined {
    if (typeof value === 'number') return value;
    const code = reasonCode(value);
    if (code === undefined) {
      const guess = closest(value, reasonCodeNames);
      this.error(
        path,
        `unknown reason code "${value}"; ${guess !== undefined ? `did you mean "${guess}"?` : 'write a number (e.g. 135) or a name such as not-authorized'}`,
      );
    }
    return code;
  }

  /** The step an assertion names (`after: reconnect`): an id, or a kind used once. */
  step(name: string | undefined, path: DocPath): StepNode | undefined {
    if (name === undefined) return undefined;
    const found = findStep(this.tree, name);
    if (typeof found === 'string') {
      this.error(path, found);
      return undefined;
    }
    return found;
  }

  topicName(topic: string, path: DocPath): void {
    const bad = checkTopicName(topic);
    if (bad !== undefined) this.error(path, bad);
  }

  topicFilter(filter: string, path: DocPath): void {
    const bad = checkTopicFilter(filter);
    if (bad !== undefined) this.error(path, bad);
  }

  /** Protocol of an instance's declaration. */
  protocolOf(instance: string): '5' | '3.1.1' {
    return String(this.declarationOf(instance)?.protocol ?? '5') === '3.1.1' ? '3.1.1' : '5';
  }

  /** The 3.1.1 instances among these (for "MQTT 5 only" messages). */
  v311(instances: readonly string[]): string[] {
    return instances.filter((i) => this.protocolOf(i) === '3.1.1');
  }

  declarationOf(instance: string): RawScenario['clients'][string] {
    return this.doc.clients[instance.replace(/\[\d+\]$/, '')];
  }

  /** Records a resolved step so assertions can look at what the steps do. */
  noteStep(step: ResolvedStep): void {
    this.#resolved.set(step.ref, step);
  }

  /** Every resolved step, parallel children included, in ref order. */
  resolvedSteps(): ResolvedStep[] {
    return [...this.#resolved.values()].sort((a, b) => a.ref - b.ref);
  }
}
