/**
 * The broker's own errors, so broker/ depends on nothing of the runner. Each says whose move it is
 * and how to fix it; the runner turns them into its exit codes at the one place it starts a broker
 * (runner/targets/embedded.ts `translateBrokerError`).
 */

export interface BrokerErrorOptions {
  cause?: unknown;
  /** How to fix it, one line. */
  hint?: string;
}

class BrokerFailure extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  constructor(code: string, message: string, options: BrokerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

/** Bad options: unknown profile or setting, an unreadable or invalid ACL or authorizer definition. */
export class BrokerConfigError extends BrokerFailure {
  constructor(message: string, options?: BrokerErrorOptions) {
    super('E_BROKER_CONFIG', message, options);
  }
}

/** A listener could not open (port in use, address not available, bad certificate). */
export class BrokerListenError extends BrokerFailure {
  constructor(message: string, options?: BrokerErrorOptions) {
    super('E_BROKER_LISTEN', message, options);
  }
}
