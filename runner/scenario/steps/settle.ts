/**
 * `settle: 5s` or `{ timeout, quiet }`: wait until every expected delivery arrived, at most
 * `timeout`, then listen `quiet` longer for late duplicates (at most the timeout).
 */
import type { DocPath } from '../../document/yaml.js';
import { writeDuration } from '../duration.js';
import { labelled, type StepResolver } from '../resolver.js';

const DEFAULTS = { timeoutMs: 10_000, quietMs: 0 } as const;

export const resolveSettle: StepResolver<'settle'> = (node, head, cx) => {
  const w = node.raw.settle;
  const at: DocPath = [...node.path, 'settle'];
  const obj = w === null || w === undefined ? {} : typeof w === 'string' ? { timeout: w } : w;
  const timeoutAt = typeof w === 'string' ? at : [...at, 'timeout'];
  const timeoutMs = cx.duration(obj.timeout, timeoutAt) ?? DEFAULTS.timeoutMs;
  const quietMs = cx.duration(obj.quiet, [...at, 'quiet']) ?? DEFAULTS.quietMs;
  if (quietMs > timeoutMs) {
    cx.error(
      [...at, 'quiet'],
      `quiet ${obj.quiet} is longer than the settle timeout ${obj.timeout ?? '10s (the default)'}; the quiet time listens for late duplicates after everything arrived and is at most the timeout: shorten quiet or raise timeout`,
    );
  }
  const label = labelled(
    node.raw.name,
    `settle ≤ ${writeDuration(timeoutMs)}${quietMs > 0 ? `, quiet ${writeDuration(quietMs)}` : ''}`,
  );
  return { step: { ...head, kind: 'settle', label, timeoutMs, quietMs } };
};
