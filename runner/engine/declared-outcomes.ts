/**
 * What a scenario declares it expects the broker to refuse or close, derived once from the
 * resolved scenario before it runs. The rule (README "Exit codes"): a refusal or a broker-initiated
 * disconnect is the behaviour under test — recorded, and the scenario goes on — exactly when a
 * `reason-code` assertion that applies on this target (its `on:` includes the target's behaviour)
 * names the packet, covers the client (no `clients:` = every client) and the step (no `step:` =
 * every step), and lists the code. A DISCONNECT from the broker is declared by a `reason-code`
 * assertion on `packet: disconnect` for that client (the assertion then judges its code). A
 * `denied` assertion declares the policy's refusal of its action for its clients (POL-10: 0x87,
 * or on MQTT 3.1.1 the close that stands for it); the assertion then judges it. Anything else
 * fails the step, and the scenario ends as an error.
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
  /**
   * True when a `denied: { action: connect }` assertion expects the policy to refuse this client's
   * CONNECT (POL-10: CONNACK 0x87 on MQTT 5, a close before CONNACK on MQTT 3.1.1).
   */
  connectDenied(client: number): boolean;
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
  // `denied` assertions (POL-10): a refusal by policy is declared for its client and action.
  const denied = new Map<string, Set<number>>();
  for (const a of scenario.expect) {
    if (a.kind !== 'denied') continue;
    if (a.onlyOn !== undefined && !a.onlyOn.includes(behaviour)) continue;
    const set = denied.get(a.action) ?? new Set<number>();
    for (const n of a.clients) if (index.has(n)) set.add(index.get(n) as number);
    denied.set(a.action, set);
  }
  const deniedFor = (client: number, ...actions: string[]) => actions.some((x) => denied.get(x)?.has(client));
  const DENIAL_OF: Partial<Record<RefusablePacket, string[]>> = {
    connack: ['connect'],
    suback: ['subscribe'],
    puback: ['publish', 'retain-publish'],
  };
  const covers = (d: Declaration, client: number, stepRef: number) =>
    (d.clients === undefined || d.clients.has(client)) && (d.step === undefined || d.step === stepRef);
  return {
    refusal: (packet, client, stepRef, code) =>
      (byPacket.get(packet) ?? []).some((d) => covers(d, client, stepRef) && d.codes.has(code)) ||
      (code === 0x87 && deniedFor(client, ...(DENIAL_OF[packet] ?? []))),
    // MQTT 3.1.1 has no negative SUBACK/PUBACK: AWS IoT closes the connection (POL-10).
    brokerDisconnect: (client, stepRef) =>
      (byPacket.get('disconnect') ?? []).some((d) => covers(d, client, stepRef)) ||
      deniedFor(client, 'subscribe', 'publish', 'retain-publish'),
    connectDenied: (client) => deniedFor(client, 'connect'),
  };
}
