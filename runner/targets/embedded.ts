/**
 * The `embedded` target: the in-process broker of broker/ on free loopback ports, with a
 * behaviour profile (aws-iot by default, or mosquitto). It stops with the run.
 */
import { EnvironmentError } from '../errors.js';
import type { StartedTarget } from './target.js';

export type EmbeddedProfile = 'aws-iot' | 'mosquitto';

export interface EmbeddedTargetOptions {
  /** Target name shown in reports. @default "embedded" */
  name?: string;
  /** Behaviour profile of the broker. @default "aws-iot" */
  profile?: EmbeddedProfile;
}

/** Starts the embedded broker. */
export async function startEmbeddedTarget(options: EmbeddedTargetOptions = {}): Promise<StartedTarget> {
  const profile = options.profile ?? 'aws-iot';
  throw new EnvironmentError(`the embedded broker (profile ${profile}) is not built yet`, {
    hint: 'use --target mosquitto (needs `apt-get install -y mosquitto`) or a broker URL from a targets file',
  });
}
