/**
 * What a scenario declares it expects the broker to refuse or close, derived once from the
 * resolved scenario before it runs. The rule (README "Exit codes"): a refusal or a broker-initiated
 * disconnect is the behaviour under test — recorded, and the scenario goes on — exactly when a
 * `reason-code` assertion that applies on this target (its `on:` includes the target's behaviour)
 * names the packet, covers the client (no `clients:` = every client) and the step (no `step:` =
 * every step), and lists the code. A DISCONNECT from the broker is declared by a `reason-code`
 * assertion on `packet: disconnect` for that client (the assertion then judges its code). Anything
 * else fails the step, and the scenario ends as an error.
 */
import type { ResolvedScenario } from '../scenario/types.js';

/** Packets whose refusal a scenario can declare. */
export type RefusablePacket = 'connack' | 'suback' | 'unsuback' | 'puback';

interface Declaration {
  clients: ReadonlySet<number> | undefined;
  step: number | undefined;
  codes: ReadonlySet<number>;
}

export interface DeclaredOutcomes {
  /** True when the scenario expects `packet` with `code` for this client in this step. */
  refusal(packet: RefusablePacket, client: number, stepRef: number, code: number): boolean;
  /** True when the scenario expects the broker to close this client's connection in this step. */
  brokerDisconnect(client: number, stepRef: number): boolean;
}

export function declaredOutcomes(scenario: ResolvedScenario, behaviour: string): DeclaredOutcomes {
  const index = new Map(scenario.clients.map((c, i) => [c.name, i]));
  const byPacket = new Map<string, Declaration[]>();
  for (const a of scenario.expect) {
    if (a.kind !== 'reason-code') continue;
    if (a.onlyOn !== undefined && !a.onlyOn.includes(behaviour)) continue;
    const clients =
      a.clients === undefined
        ? undefined
        : new Set(a.clients.flatMap((n) => (index.has(n) ? [index.get(n) as number] : [])));
    const list = byPacket.get(a.packet) ?? [];
    list.push({ clients, step: a.step, codes: new Set(a.codes) });
    byPacket.set(a.packet, list);
  }
  const covers = (d: Declaration, client: number, stepRef: number) =>
    (d.clients === undefined || d.clients.has(client)) && (d.step === undefined || d.step === stepRef);
  return {
    refusal: (packet, client, stepRef, code) =>
      (byPacket.get(packet) ?? []).some((d) => covers(d, client, stepRef) && d.codes.has(code)),
    brokerDisconnect: (client, stepRef) =>
      (byPacket.get('disconnect') ?? []).some((d) => covers(d, client, stepRef)),
  };
}
