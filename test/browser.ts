/**
 * Headless Chromium (Debian's `chromium` package) driven over the Chrome DevTools Protocol with
 * `ws`, for tests that must see a page as a browser draws it: console errors, uncaught
 * exceptions, what a script in the page returns, a screenshot. No browser download: the binary
 * is found on PATH (`.ci/run` installs it).
 *
 * Glossary: `openPage(url)` → a `Page` with `errors` (console errors, exceptions and failed loads
 * so far), `evaluate(js)` (the JSON value of an expression, awaited), `screenshot()` (PNG bytes)
 * and `close()` (ends the browser; also registered on the test's teardown).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

/** The Chromium binary on PATH, or undefined (tests skip with this reason then). */
export function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() !== '') return r.stdout.trim();
  }
  return undefined;
}

export interface Page {
  readonly errors: string[];
  evaluate<T>(expression: string): Promise<T>;
  screenshot(options?: { width?: number; height?: number }): Promise<Buffer>;
  close(): Promise<void>;
}

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** Starts Chromium, opens `url` in a 1280×900 page and resolves once it has loaded. */
export async function openPage(
  binary: string,
  url: string,
  t: { after: (fn: () => void | Promise<void>) => void },
  timeoutMs = 30_000,
): Promise<Page> {
  const profile = mkdtempSync(join(tmpdir(), 'mqscen-chromium-'));
  const child = spawn(
    binary,
    [
      '--headless',
      // Root in CI containers: Chromium refuses to start its sandbox as root.
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--no-default-browser-check',
      '--hide-scrollbars',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let closed = false;
  const exited = new Promise<void>((res) => child.on('exit', () => res()));
  const close = async () => {
    if (closed) return;
    closed = true;
    child.kill('SIGKILL');
    await Promise.race([exited, new Promise((res) => setTimeout(res, 5000))]);
    rmSync(profile, { recursive: true, force: true });
  };
  t.after(close);

  const deadline = Date.now() + timeoutMs;
  const within = <T>(p: Promise<T>, what: string): Promise<T> =>
    Promise.race([
      p,
      new Promise<never>((_, rej) =>
        setTimeout(
          () => rej(new Error(`${what} did not happen within ${timeoutMs} ms`)),
          Math.max(0, deadline - Date.now()),
        ),
      ),
    ]);

  const endpoint = await within(
    new Promise<string>((res, rej) => {
      let err = '';
      child.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
        if (m?.[1]) res(m[1]);
      });
      child.on('exit', (code) => rej(new Error(`chromium exited (${code}) before listening:\n${err}`)));
    }),
    'chromium start',
  );

  const socket = new WebSocket(endpoint, { perMessageDeflate: false });
  await within(
    new Promise<void>((res, rej) => socket.once('open', () => res()).once('error', rej)),
    'CDP connect',
  );
  let nextId = 1;
  const pending = new Map<number, { res: (v: Record<string, unknown>) => void; rej: (e: Error) => void }>();
  const listeners: Array<(m: CdpMessage) => void> = [];
  socket.on('message', (raw: WebSocket.RawData) => {
    const message = JSON.parse(raw.toString()) as CdpMessage;
    if (message.id !== undefined) {
      const p = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) p?.rej(new Error(message.error.message));
      else p?.res(message.result ?? {});
      return;
    }
    for (const l of listeners) l(message);
  });
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string) =>
    within(
      new Promise<Record<string, unknown>>((res, rej) => {
        const id = nextId++;
        pending.set(id, { res, rej });
        socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
      }),
      method,
    );

  const { targetId } = (await send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
  const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as {
    sessionId: string;
  };
  const errors: string[] = [];
  let loaded: () => void = () => {};
  const loadedOnce = new Promise<void>((res) => {
    loaded = res;
  });
  listeners.push((m) => {
    if (m.sessionId !== sessionId) return;
    const p = m.params ?? {};
    if (m.method === 'Runtime.exceptionThrown') {
      const d = p['exceptionDetails'] as { text?: string; exception?: { description?: string } } | undefined;
      errors.push(`exception: ${d?.exception?.description ?? d?.text ?? 'unknown'}`);
    } else if (m.method === 'Runtime.consoleAPICalled' && p['type'] === 'error') {
      const args = (p['args'] as Array<{ value?: unknown; description?: string }> | undefined) ?? [];
      errors.push(`console.error: ${args.map((a) => String(a.value ?? a.description ?? '')).join(' ')}`);
    } else if (m.method === 'Log.entryAdded') {
      const entry = p['entry'] as { level?: string; text?: string; url?: string } | undefined;
      if (entry?.level === 'error') errors.push(`log: ${entry.text ?? ''} ${entry.url ?? ''}`.trim());
    } else if (m.method === 'Page.loadEventFired') {
      loaded();
    }
  });
  await send('Runtime.enable', {}, sessionId);
  await send('Log.enable', {}, sessionId);
  await send('Page.enable', {}, sessionId);
  await send(
    'Emulation.setDeviceMetricsOverride',
    { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false },
    sessionId,
  );
  await send('Page.navigate', { url }, sessionId);
  await within(loadedOnce, `load of ${url}`);

  return {
    errors,
    async evaluate<T>(expression: string): Promise<T> {
      const r = (await send(
        'Runtime.evaluate',
        { expression, returnByValue: true, awaitPromise: true },
        sessionId,
      )) as { result?: { value?: unknown }; exceptionDetails?: { text?: string } };
      if (r.exceptionDetails) throw new Error(`evaluate failed: ${r.exceptionDetails.text ?? ''}`);
      return r.result?.value as T;
    },
    async screenshot(options = {}) {
      const width = options.width ?? 1280;
      const height = options.height ?? 900;
      const r = (await send(
        'Page.captureScreenshot',
        { format: 'png', captureBeyondViewport: true, clip: { x: 0, y: 0, width, height, scale: 1 } },
        sessionId,
      )) as { data: string };
      return Buffer.from(r.data, 'base64');
    },
    async close() {
      socket.close();
      await close();
    },
  };
}
