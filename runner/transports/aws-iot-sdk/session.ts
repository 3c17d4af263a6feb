/**
 * What the SDK's two clients (MQTT 5 and MQTT 3.1.1) share: the bounded connect attempt with its
 * TLS diagnosis, the errors in the user's terms, and the session's events and closed state. Each
 * client's own file (mqtt5.ts, mqtt311.ts) only translates between the SDK and transport.ts.
 */
import createDebug from 'debug';
import { TransportError } from '../../errors.js';
import { SessionEvents } from '../_session-events.js';
import { classifyConnectError, connackHint, messageOf, noConnackMessage } from '../connect-errors.js';
import { formatHex, reasonText } from '../reason-codes.js';
import type {
  ConnectionLoss,
  ConnectResult,
  ProtocolVersion,
  ReceivedMessage,
  TransportSessionEvents,
} from '../transport.js';
import { NAME, type ResolvedExtra, type ResolvedSettings } from './settings.js';

const debug = createDebug('mqscen:transport:aws-iot-sdk');

/** Upper bound for stop → stopped and for a 3.1.1 disconnect, ms. */
export const STOP_BOUND_MS = 5000;

/** A failure that needs no diagnosis: the broker answered and said no (a refused CONNACK). */
export class Refusal {
  constructor(readonly error: TransportError) {}
}

export interface ConnectAttempt<T> {
  /** Starts the SDK's connect; rejects with a Refusal, or with the SDK's own error. */
  connect(): Promise<T>;
  /** Frees the SDK client after a failed (or timed out) attempt. */
  abort(): void;
  /** The TLS diagnosis (tls-diagnosis.ts) within `budgetMs`; undefined when TLS looks fine. */
  diagnose(budgetMs: number): Promise<TransportError | undefined>;
}

/**
 * Runs one connect within `options.connectTimeoutMs`: resolves with the SDK's success, or rejects
 * with one TransportError. The diagnosis runs alongside a slow attempt and reports a definite
 * problem at once; a vague SDK error waits for it (still within the bound).
 */
export function attemptConnect<T>(attempt: ConnectAttempt<T>, settings: ResolvedSettings): Promise<T> {
  const { options, target } = settings;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const fail = (error: TransportError, diagnose: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      diagnosis.cancel();
      attempt.abort();
      if (!diagnose) {
        debug('connect %s failed: %s', options.clientId, error.message);
        reject(error);
        return;
      }
      void diagnosis.result().then((better) => {
        const e = better ?? error;
        debug('connect %s failed: %s', options.clientId, e.message);
        reject(e);
      });
    };
    const diagnosis = startDiagnosis(attempt.diagnose, options.connectTimeoutMs, (found) =>
      fail(found, false),
    );
    const timer = setTimeout(() => {
      fail(
        new TransportError(noConnackMessage(target.shown, options.connectTimeoutMs, options.clientId), {
          transport: NAME,
          hint: 'is the endpoint reachable? check the endpoint, the port (8883 or 443) and firewalls',
        }),
        true,
      );
    }, options.connectTimeoutMs);
    let started: Promise<T>;
    try {
      started = attempt.connect();
    } catch (err) {
      started = Promise.reject(err);
    }
    started.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        diagnosis.cancel();
        resolve(value);
      },
      (err: unknown) => {
        if (err instanceof Refusal) fail(err.error, false);
        else fail(connectError(err, settings), true);
      },
    );
  });
}

/**
 * The diagnosis of a failed connect, within the connect bound: from 2 s (or half the bound) on it
 * runs alongside the SDK's attempt (the CRT may sit silent until the timeout on a bad endpoint
 * certificate), and reports a definite problem at once through `onFound`.
 */
function startDiagnosis(
  run: (budgetMs: number) => Promise<TransportError | undefined>,
  boundMs: number,
  onFound: (error: TransportError) => void,
): { result(): Promise<TransportError | undefined>; cancel(): void } {
  const started = Date.now();
  let pending: Promise<TransportError | undefined> | undefined;
  // A good connect takes well under 2 s even to a far region; past that, look in parallel.
  const earlyAt = Math.min(boundMs / 2, 2000);
  const early = setTimeout(() => {
    pending = run(Math.min(3000, boundMs - earlyAt - 100));
    void pending.then((found) => {
      if (found !== undefined) onFound(found);
    });
  }, earlyAt);
  return {
    cancel: () => clearTimeout(early),
    result: () => {
      clearTimeout(early);
      const left = Math.max(300, started + boundMs - Date.now());
      pending ??= run(left);
      return settleWithin(pending, left);
    },
  };
}

/** A refused CONNACK [MQTT-3.2.2-6]: the broker answered, and said no. */
export function refusedError(
  code: number,
  { options, target, extra }: ResolvedSettings,
  cause: unknown,
): Refusal {
  const text = reasonText(code, 'connack', '5');
  return new Refusal(
    new TransportError(
      `${target.shown} refused the connection of client "${options.clientId}": ${text} (${formatHex(code)})`,
      { transport: NAME, cause, reasonCode: code, reasonText: text, hint: refusalHint(code, extra, '5') },
    ),
  );
}

/** The SDK's connect error in the user's terms, by the shared table (connect-errors.ts). */
function connectError(err: unknown, { options, target, extra }: ResolvedSettings): TransportError {
  const text = messageOf(err);
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : '';
  const problem = classifyConnectError(code, text);
  let hint = problem.hint;
  if (problem.kind === 'tls') hint = tlsHint(extra);
  else if (problem.kind === 'unknown') {
    hint =
      /WEBSOCKET|UPGRADE|HTTP|403/i.test(text) && extra.auth === 'sigv4'
        ? 'the endpoint refused the SigV4 signature: check the region, the credentials and the system clock'
        : 'is the endpoint reachable? check the endpoint and port (--target)';
  }
  return new TransportError(`cannot connect client "${options.clientId}" to ${target.shown}: ${text}`, {
    transport: NAME,
    cause: err,
    hint,
  });
}

/** The SDK could not even build its client (the CRT rejects TLS material it cannot load). */
export function creationError(
  { target, extra }: ResolvedSettings,
  what: string,
  cause: unknown,
): TransportError {
  return new TransportError(
    `cannot create the AWS IoT SDK ${what} for ${target.shown}: ${messageOf(cause)}`,
    {
      transport: NAME,
      cause,
      hint: tlsHint(extra),
    },
  );
}

function tlsHint(extra: ResolvedExtra): string {
  return extra.auth === 'mtls'
    ? 'TLS failed: check that ca: is the CA of the broker certificate, that the endpoint name matches it, and that the device certificate is registered and active'
    : 'TLS failed: check that ca: is the CA of the broker certificate and that the endpoint name matches it';
}

/** Hint for a refused connect: the shared CONNACK hints, in AWS IoT's terms (policy, authorizer). */
export function refusalHint(code: number, extra: ResolvedExtra, protocol: ProtocolVersion): string {
  return connackHint(code, protocol, extra.auth);
}

/** Resolves with `p`'s value, or with undefined once `ms` have passed (rejections pass through). */
export function settleWithin<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    const t = setTimeout(() => resolve(undefined), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/**
 * Events (early messages kept for the first handler, _session-events.ts), closed state and
 * operation errors of one SDK session.
 */
export abstract class SdkSession {
  readonly clientId: string;
  readonly connack: ConnectResult;
  readonly #url: string;
  readonly #events = new SessionEvents();
  /** Set once the connection is gone (asked for or not); no operation may start after that. */
  protected closed = false;

  constructor(clientId: string, connack: ConnectResult, url: string) {
    this.clientId = clientId;
    this.connack = connack;
    this.#url = url;
  }

  on<E extends keyof TransportSessionEvents>(event: E, handler: TransportSessionEvents[E]): void {
    this.#events.on(event, handler);
  }

  protected emitMessage(msg: ReceivedMessage): void {
    this.#events.message(msg);
  }

  /** Reports the loss once; the caller has set `closed` and stopped the SDK's own reconnects. */
  protected emitLost(loss: ConnectionLoss): void {
    debug('%s: lost (%s)', this.clientId, loss.message);
    this.#events.lost(loss);
  }

  protected lostMessage(err: unknown): string {
    return `connection to ${this.#url} lost: ${messageOf(err)}`;
  }

  protected assertOpen(op: string): void {
    if (!this.closed) return;
    throw new TransportError(`${op} on client "${this.clientId}": the connection is closed`, {
      transport: NAME,
      hint: 'connect (or reconnect) the client before this step',
    });
  }

  protected operationError(op: string, err: unknown): TransportError {
    return new TransportError(`${op} on client "${this.clientId}" (${this.#url}) failed: ${messageOf(err)}`, {
      transport: NAME,
      cause: err,
    });
  }
}
