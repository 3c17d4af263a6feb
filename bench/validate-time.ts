/**
 * Start-up cost of `mqscen validate scenarios/queuing.yaml`, run as `node bin/mqscen.js` (npx adds
 * its own start-up on top). Prints the median and worst wall time of N runs next to a bare
 * `node -e 0` measured in the same run, so the figure can be read on a busy machine too.
 * Target: median ≤ 0.5 s. Needs the built CLI (npm run build).
 *
 *   npx tsx bench/validate-time.ts [--runs 15]
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const runs = Number(values.runs);
const root = resolve(import.meta.dirname, '..');

function time(args: string[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore' });
    out.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  }
  return out.sort((a, b) => a - b);
}

const median = (xs: number[]) => xs[Math.floor(xs.length / 2)] ?? Number.NaN;
const bare = time(['-e', '0']);
const validate = time(['bin/mqscen.js', 'validate', 'scenarios/queuing.yaml']);
const fmt = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
console.log(`runs: ${runs}`);
console.log(
  `node -e 0                                 median ${fmt(median(bare))}  worst ${fmt(bare.at(-1) ?? 0)}`,
);
console.log(
  `node bin/mqscen.js validate queuing.yaml  median ${fmt(median(validate))}  worst ${fmt(validate.at(-1) ?? 0)}  (target ≤ 0.500 s)`,
);
console.log(`mqscen's own share (median − bare node):  ${fmt(median(validate) - median(bare))}`);
