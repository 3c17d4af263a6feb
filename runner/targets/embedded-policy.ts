/**
 * AWS IoT policies on the embedded target (profile aws-iot): the policies the target attaches
 * (targets file `policy:` / `policies:`, POL-1), or else the running scenario's own `policy:`,
 * enforced through the broker's authorization seam (POL-2, POL-10). Without any policy everything
 * is allowed, as before.
 */
import { relative } from 'node:path';
import type { Authorizer } from '../../broker/authorizer.js';
import type { PolicyAuthorizer, PolicyMatch, SharedReceiveResource } from '../../broker/policy/index.js';
import type { PolicyRefusalResult } from '../results.js';

export interface EmbeddedPolicyOptions {
  /** Policy files attached to every client. */
  default?: string[];
  /** Policy files attached to the clients (or things) they match. */
  attached?: Array<{ match: PolicyMatch; file: string }>;
  /** @default "share-form" (POL-5) */
  sharedReceiveResource?: SharedReceiveResource;
}

export interface EmbeddedPolicyEnforcer {
  /** Plugged into the broker; delegates to the active policy set. */
  readonly authorizer: Authorizer;
  usePolicy(file: string | undefined): Promise<void>;
  refusals(sinceMs: number): PolicyRefusalResult[];
  stats(): Record<string, unknown> | undefined;
}

/** Loads the target's policy files now (a bad one is exit 2 before anything listens). */
export async function createEmbeddedPolicyEnforcer(
  options: EmbeddedPolicyOptions = {},
  cwd = process.cwd(),
): Promise<EmbeddedPolicyEnforcer> {
  const { createPolicyAuthorizer, shortResource } = await import('../../broker/policy/index.js');
  const { loadPolicyFile } = await import('../document/policy-document.js');
  const shown = (file: string): string => {
    const rel = relative(cwd, file);
    return rel.startsWith('..') ? file : rel;
  };
  const build = async (defaults: string[], attached: EmbeddedPolicyOptions['attached'] = []) =>
    createPolicyAuthorizer({
      attachments: {
        default: await Promise.all(defaults.map((f) => loadPolicyFile(f, shown(f)))),
        attached: await Promise.all(
          attached.map(async (a) => ({
            match: a.match,
            policies: [await loadPolicyFile(a.file, shown(a.file))],
          })),
        ),
      },
      ...(options.sharedReceiveResource === undefined
        ? {}
        : { sharedReceiveResource: options.sharedReceiveResource }),
    });
  const fixed = (options.default?.length ?? 0) + (options.attached?.length ?? 0) > 0;
  let active: PolicyAuthorizer | undefined = fixed
    ? await build(options.default ?? [], options.attached)
    : undefined;
  const authorizer: Authorizer = {
    connect: (client, request) => active?.connect?.(client, request) ?? true,
    publish: (client, topic, info) => active?.publish?.(client, topic, info) ?? true,
    subscribe: (client, filter, info) => active?.subscribe?.(client, filter, info) ?? true,
    receive: (client, topic, info) => active?.receive?.(client, topic, info) ?? true,
  };
  return {
    authorizer,
    async usePolicy(file) {
      // The target's own attachments stand for what is attached in the account: they win.
      if (fixed) return;
      active = file === undefined ? undefined : await build([file]);
    },
    refusals(sinceMs) {
      return (active?.refusals(sinceMs) ?? []).map((r) => ({
        client: r.clientId,
        packet: r.packet,
        action: r.action,
        resource: shortResource(r.resource),
        reason: r.reason,
        count: r.count,
      }));
    },
    stats: () => (active === undefined ? undefined : { ...active.stats() }),
  };
}
