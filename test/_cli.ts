/**
 * Helpers of the CLI end-to-end tests: they run the built binary (bin/mqscen.js → dist/).
 *
 * Glossary: `mqscen(args)` runs the CLI to its end (bounded) and returns code, stdout, stderr and
 * duration; `startMqscen(args, t)` starts a long-running one (a run waiting in a step, a broker)
 * with a bounded wait for a line and for its exit, killed at teardown; `startBroker(t)` a
 * `mqscen broker` child on a free port; `tempDir(t)` a folder removed at teardown.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..');
export const bin = join(root, 'bin', 'mqscen.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI with a bounded time; CI=true so the console reporter prints plain lines. */
export function mqscen(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
) {
  return new Promise<CliResult>((resolvePromise, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd ?? root,
      env: { ...process.env, CI: 'true', NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `mqscen ${args.join(' ')} did not finish in ${options.timeoutMs ?? 60_000} ms\n${stdout}\n${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/**
 * A long-running CLI process (run waiting in a step, broker) driven from a test: its combined
 * output so far, a bounded wait for a line, and a bounded wait for its exit. Killed at teardown.
 */
export function startMqscen(
  args: string[],
  t: { after: (fn: () => void) => void },
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
) {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: options.cwd ?? root,
    env: { ...process.env, CI: 'true', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  const collect = (d: Buffer) => {
    out += d.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const closed = new Promise<number | null>((res) => child.on('close', res));
  return {
    child,
    output: () => out,
    /** Resolves with the first match of `pattern` in the output; rejects after `ms`. */
    waitFor(pattern: RegExp, what: string, ms = 20_000): Promise<RegExpExecArray> {
      return new Promise((res, rej) => {
        const deadline = setTimeout(() => {
          clearInterval(poll);
          rej(new Error(`${what}:\n${out}`));
        }, ms);
        const poll = setInterval(() => {
          const m = pattern.exec(out);
          if (m) {
            clearInterval(poll);
            clearTimeout(deadline);
            res(m);
          }
        }, 50);
      });
    },
    /** The exit code; rejects when the process is still running after `ms`. */
    exit(what: string, ms = 20_000): Promise<number | null> {
      return new Promise((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`${what}:\n${out}`)), ms);
        void closed.then((c) => {
          clearTimeout(timer);
          res(c);
        });
      });
    },
  };
}

/** A `mqscen broker` child on a free port (extra flags such as `--profile mosquitto`); its URL. Stopped at teardown. */
export async function startBroker(
  t: { after: (fn: () => void) => void },
  flags: string[] = [],
): Promise<string> {
  const broker = startMqscen(['broker', '--port', '0', ...flags], t);
  const m = await broker.waitFor(/mqtt:\/\/127\.0\.0\.1:\d+/, 'mqscen broker did not print its URL');
  return m[0];
}

export function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
