// Minimal typing for the parts of qlobber (CommonJS, no bundled types) the broker uses.
declare module 'qlobber' {
  interface QlobberOptions {
    separator?: string;
    wildcard_one?: string;
    wildcard_some?: string;
    match_empty_levels?: boolean;
    max_words?: number;
    max_wildcard_somes?: number;
  }
  class QlobberDedup<T = unknown> {
    constructor(options?: QlobberOptions);
    add(topic: string, value: T): this;
    remove(topic: string, value?: T): this;
    match(topic: string): Set<T>;
    clear(): this;
  }
  class QlobberTrue {
    constructor(options?: QlobberOptions);
    add(topic: string): this;
    remove(topic: string): this;
    test(topic: string): boolean;
    clear(): this;
  }
  const qlobber: { QlobberDedup: typeof QlobberDedup; QlobberTrue: typeof QlobberTrue };
  export default qlobber;
}
