/** Brokers in their own processes for the broker benchmarks, and their CPU time. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface RunningBroker {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export interface HostedBroker extends RunningBroker {
  /** Sends a command line (`stats`, `gc`) to bench/broker-host.ts and returns its JSON answer. */
  request(line: string): Promise<Record<string, unknown>>;
}

const hostScript = fileURLToPath(new URL('./broker-host.ts', import.meta.url));

/**
 * Starts bench/broker-host.ts (`embedded:<profile>` or `aedes`) in its own Node process and waits
 * for its port. `dist` loads the compiled broker; `nodeArgs` go to node (e.g. --cpu-prof, --expose-gc).
 */
export async function startHost(
  kind: string,
  settings: object = {},
  dist = false,
  nodeArgs: string[] = [],
): Promise<HostedBroker> {
  const args = [...nodeArgs, '--import', 'tsx', hostScript, kind, '--settings', JSON.stringify(settings)];
  if (dist) args.push('--dist');
  // From the repository root, so `--import tsx` resolves wherever the bench was started from.
  const child = spawn(process.execPath, args, {
    stdio: ['pipe', 'pipe', 'inherit'],
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  });
  const lines = createInterface({ input: child.stdout });
  const waiting: Array<(value: Record<string, unknown>) => void> = [];
  lines.on('line', (line) => waiting.shift()?.(JSON.parse(line)));
  const next = (what: string, ms: number) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const onExit = (code: number | null): void => {
        clearTimeout(timer);
        reject(new Error(`${kind} exited (${code}) waiting for ${what}`));
      };
      const timer = setTimeout(() => {
        child.off('exit', onExit);
        reject(new Error(`${kind}: no answer to ${what} in ${ms} ms`));
      }, ms);
      child.once('exit', onExit);
      waiting.push((value) => {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(value);
      });
    });
  const ready = await next('start', 20_000);
  return {
    url: `mqtt://127.0.0.1:${ready.port}`,
    pid: Number(ready.pid),
    request(line: string) {
      const answer = next(line, 20_000);
      child.stdin.write(`${line}\n`);
      return answer;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** CPU time (user + system) of a process, ms, from /proc (Linux); undefined elsewhere. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime) in clock ticks of 10 ms (USER_HZ 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}
