/**
 * Terminal plumbing of the live view: synchronized frames (one write per turn of the event loop),
 * the SIGINT guard against listr2's signal-exit, width fitting, and small promise helpers.
 */
import createDebug from 'debug';

const debug = createDebug('mqscen:reporters:live');

export const ESC = '\u001b[';
/** DECTCEM: listr2 hides the cursor while it draws; it is always shown again. */
export const CURSOR_SHOW = `${ESC}?25h`;
/** DEC mode 2026: the terminal shows what is between these two at once. */
export const SYNC_BEGIN = `${ESC}?2026h`;
export const SYNC_END = `${ESC}?2026l`;

/**
 * The stream listr2 draws on: the terminal, seen through a buffer that gathers what is written
 * within one turn of the event loop and sends it as one write inside one synchronized update.
 * log-update erases and reprints the whole view in two writes when it ends; gathered, the
 * terminal never shows the erased view. It also gives listr2 a width and height when the
 * terminal reports none (a pseudo-terminal without a size), since listr2 would wrap at 0.
 */
export function createFrameStream(out: NodeJS.WriteStream): {
  stream: NodeJS.WriteStream;
  write(text: string): void;
  /** Sends what is gathered now. */
  flush(): void;
  /** Writes straight to the terminal, past listr2 and the buffer (a forced exit). */
  writeNow(text: string): void;
} {
  const raw = out.write.bind(out) as (text: string) => boolean;
  let pending = '';
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending === '') return;
    const text = pending.replaceAll(SYNC_BEGIN, '').replaceAll(SYNC_END, '');
    pending = '';
    raw(`${SYNC_BEGIN}${text}${SYNC_END}`);
  };
  const write = (chunk: unknown, ...rest: unknown[]): boolean => {
    pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
    const callback = rest.at(-1);
    if (typeof callback === 'function') callback();
    return true;
  };
  const stream = {
    isTTY: true,
    get columns() {
      return out.columns > 0 ? out.columns : 80;
    },
    get rows() {
      return out.rows > 0 ? out.rows : 24;
    },
    write,
    on: () => stream,
    once: () => stream,
    off: () => stream,
    removeListener: () => stream,
  };
  return {
    stream: stream as unknown as NodeJS.WriteStream,
    write: (text) => {
      write(text);
    },
    flush,
    writeNow: (text) => {
      raw(text);
    },
  };
}

/**
 * listr2's in-place renderer loads log-update → cli-cursor → restore-cursor → signal-exit. On
 * SIGINT, signal-exit re-raises the signal (killing the process) when its own handler is the only
 * listener left, and Node removes a `once` listener before calling it: so the CLI's Ctrl+C handler
 * would start a clean stop and signal-exit would kill the process right after, before any report
 * is written. While the view is in use this guard is one more listener: the first Ctrl+C is left
 * to its owner (the CLI stops the run and the reports are written); a second one re-raises the
 * signal with the guard removed, which is the "Ctrl+C again to force" the CLI promises. When
 * nobody else listened when the guard was armed, Ctrl+C keeps Node's default at once.
 */
export function createSigintGuard(beforeForcedExit: () => void): { arm(): void; disarm(): void } {
  let armed = false;
  let owned = false;
  let presses = 0;
  const reraise = (): void => {
    disarm();
    beforeForcedExit();
    process.kill(process.pid, 'SIGINT');
  };
  const onSigint = (): void => {
    presses += 1;
    debug('SIGINT %d while drawing (owned by another listener: %s)', presses, owned);
    if (!owned || presses > 1) reraise();
  };
  const disarm = (): void => {
    if (!armed) return;
    armed = false;
    process.removeListener('SIGINT', onSigint);
  };
  return {
    arm() {
      if (armed) return;
      armed = true;
      owned = process.listenerCount('SIGINT') > 0;
      presses = 0;
      process.on('SIGINT', onSigint);
    },
    disarm,
  };
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  /** The value once resolved. */
  readonly settledValue: T | undefined;
}

export function createDeferred<T>(): Deferred<T> {
  let settled = false;
  let resolveFn: (value: T) => void = () => {};
  const promise = new Promise<T>((resolve) => {
    resolveFn = resolve;
  });
  let settledValue: T | undefined;
  return {
    promise,
    get settledValue() {
      return settledValue;
    },
    resolve(value) {
      // First word wins: a late onStepEnd after an interrupt must not redraw the step.
      if (settled) return;
      settled = true;
      settledValue = value;
      resolveFn(value);
    },
  };
}

/** Resolves true when `promise` settled within `ms`, false otherwise; never rejects. */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `line` cut to `width` visible characters (ANSI colour codes kept and not counted), so a live
 * line never wraps and the block's height is its line count.
 */
export function fit(line: string, width: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; ) {
    if (line.startsWith(ESC, i)) {
      const end = line.indexOf('m', i);
      if (end < 0) break;
      out += line.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    const cp = line.codePointAt(i) ?? 0;
    const ch = String.fromCodePoint(cp);
    if (visible >= width - 1 && i + ch.length < line.length) {
      out += '…';
      // Close any colour left open by the cut.
      return `${out}${ESC}0m`;
    }
    out += ch;
    visible++;
    i += ch.length;
  }
  return out;
}
