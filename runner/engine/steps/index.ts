/** The step table: step kind → its compiler (one file each). */
import type { StepKind } from '../../scenario/types.js';
import { compileConnect } from './connect.js';
import { compileDisconnect } from './disconnect.js';
import { compileFault } from './fault.js';
import { compileHeal } from './heal.js';
import { compileParallel } from './parallel.js';
import { compilePartition } from './partition.js';
import { compilePublish } from './publish.js';
import { compileReconnect } from './reconnect.js';
import { compileRepeat, compileSequence } from './sequence.js';
import { compileSettle } from './settle.js';
import type { StepCompiler } from './step.js';
import { compileSubscribe } from './subscribe.js';
import { compileUnsubscribe } from './unsubscribe.js';
import { compileWait } from './wait.js';

export const STEPS: { readonly [K in StepKind]: StepCompiler<K> } = {
  connect: compileConnect,
  subscribe: compileSubscribe,
  unsubscribe: compileUnsubscribe,
  publish: compilePublish,
  disconnect: compileDisconnect,
  reconnect: compileReconnect,
  wait: compileWait,
  settle: compileSettle,
  parallel: compileParallel,
  fault: compileFault,
  heal: compileHeal,
  partition: compilePartition,
  sequence: compileSequence,
  repeat: compileRepeat,
};

export type { CompiledStep, CompilePlan, StepOutcome } from './step.js';
