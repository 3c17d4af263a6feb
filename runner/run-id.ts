/**
 * Run ids: short random base-36 words that tell runs apart on a shared broker. The engine tags
 * every message identity with one (8 characters); a scenario's `{run}` placeholder in client ids
 * uses a shorter one (6 characters) shared by every file of one process.
 */
import { randomBytes } from 'node:crypto';

/** A fresh run id of `length` base-36 characters (at most 9). */
export function createRunId(length = 8): string {
  const n = randomBytes(6).readUIntBE(0, 6);
  return n.toString(36).padStart(9, '0').slice(-length);
}
