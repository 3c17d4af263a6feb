/**
 * Packet faults on one plaintext MQTT connection. Both directions are cut into packets by their
 * fixed header; the packets a rule may act on (CONNECT, CONNACK, PUBLISH and the QoS 1/2 flow)
 * are parsed with mqtt-packet's parser; every packet no rule changes is forwarded as the very
 * bytes that arrived. Only packets a rule changes (a PUBLISH copy with DUP, a CONNACK with
 * sessionPresent=0, a CONNECT with Clean Start) are re-encoded, and acknowledgements the proxy
 * answers in a peer's name are encoded fresh.
 */
import mqttPacket from 'mqtt-packet';
import type { MessageIdentity, PacketRule, PublishInfo, PublishMatch, Stream } from './fault.js';

/** What a packet processor needs from the proxy and its connection. */
export interface PacketHost {
  /** Proxied client name of this connection. */
  readonly client: string;
  /** Rules active now, in the order they were added. */
  rules(): readonly ActiveRule[];
  /** Forwards bytes on a stream (through the toxics). */
  forward(stream: Stream, bytes: Buffer): void;
  /** Closes this connection now (both sockets). */
  cut(): void;
  /** Counts a CONNECT / CONNACK of this client across its connections; returns the new count. */
  count(what: 'connect' | 'connack'): number;
  /** The broker acknowledged this message to its publisher (or a QoS 0 one was sent). */
  markAcked(key: string): void;
  /** Resolves true once `key` is acknowledged, false after `ms`. */
  waitAcked(key: string, ms: number): Promise<boolean>;
  /** Keeps bytes to send to the client right after its next CONNACK (any later connection). */
  replayAfterConnack(
    bytes: Buffer,
    messageId: number | undefined,
    summary: PacketSummary,
    rule: ActiveRule,
  ): void;
  /** What was kept for this CONNACK (emptied). */
  takeReplays(): Array<{
    bytes: Buffer;
    messageId: number | undefined;
    summary: PacketSummary;
    rule: ActiveRule;
  }>;
  /** Records that a rule acted on a packet. */
  fired(rule: ActiveRule, action: string, packet: PacketSummary): void;
}

/** A rule as the proxy keeps it: the spec plus its own counters. */
export interface ActiveRule {
  readonly id: string;
  readonly spec: PacketRule;
  /** Matching PUBLISH packets seen, per match (for `nth`). */
  seen: Map<PublishMatch, number>;
  /** Actions left (undefined: unlimited). */
  left: number | undefined;
  /** The rule is spent: called once it will do nothing more. */
  spent(): void;
}

export interface PacketSummary {
  cmd: string;
  messageId?: number;
  topic?: string;
  identity?: string;
}

const CONNECT = 1;
const CONNACK = 2;
const PUBLISH = 3;
const PUBACK = 4;
const PUBREC = 5;
const PUBREL = 6;
const PUBCOMP = 7;

type Pkt = mqttPacket.Packet & Record<string, unknown>;

export class PacketFaults {
  readonly #host: PacketHost;
  #version = 4;
  #clientId: string | undefined;
  readonly #split: Record<Stream, FrameSplitter> = {
    upstream: new FrameSplitter(),
    downstream: new FrameSplitter(),
  };
  readonly #parsers: Record<Stream, mqttPacket.Parser & { settings: { protocolVersion?: number } }>;
  /** Acks to swallow, per stream they travel on: `${messageId}` → how many. */
  readonly #swallow: Record<Stream, Map<number, number>> = { upstream: new Map(), downstream: new Map() };
  /** Acks to withhold (rule that asked), per stream they travel on. */
  readonly #withhold: Record<Stream, Map<number, ActiveRule>> = {
    upstream: new Map(),
    downstream: new Map(),
  };
  /** QoS 2 publishes the proxy answered: their PUBREL (on the same stream) is answered too. */
  readonly #answeredQos2: Record<Stream, Set<number>> = { upstream: new Set(), downstream: new Set() };
  /** Upstream QoS 1/2 PUBLISH packet id → identity key, until the broker acknowledges it. */
  readonly #pendingUp = new Map<number, string>();
  /** reorder: the held `first` packet per rule. */
  readonly #held = new Map<ActiveRule, { bytes: Buffer; timer: NodeJS.Timeout; summary: PacketSummary }>();
  #cutting = false;
  /** Downstream QoS 1/2 PUBLISH packet ids the client has not acknowledged yet. */
  readonly #unackedDown = new Set<number>();

  constructor(host: PacketHost) {
    this.#host = host;
    const make = () =>
      mqttPacket.parser({}) as mqttPacket.Parser & { settings: { protocolVersion?: number } };
    this.#parsers = { upstream: make(), downstream: make() };
  }

  get clientId(): string | undefined {
    return this.#clientId;
  }

  /** Bytes read from one side. */
  push(stream: Stream, chunk: Buffer): void {
    const split = this.#split[stream];
    if (split.broken) {
      this.#host.forward(stream, chunk);
      return;
    }
    for (const frame of split.push(chunk)) {
      if (split.broken) {
        this.#host.forward(stream, frame);
        continue;
      }
      // Once a cut is pending nothing more reaches the client; its acks still reach the broker.
      if (this.#cutting && stream === 'downstream') return;
      this.#frame(stream, frame);
    }
  }

  /** A rule was healed: what it holds goes on. */
  ruleRemoved(rule: ActiveRule): void {
    this.#release(rule, 'released (healed)');
  }

  /** Drops whatever is held (the connection is closing). */
  dispose(): void {
    for (const h of this.#held.values()) clearTimeout(h.timer);
    this.#held.clear();
  }

  // --- internal ---

  #frame(stream: Stream, frame: Buffer): void {
    const type = (frame[0] as number) >> 4;
    if (type < CONNECT || type > PUBCOMP) {
      this.#host.forward(stream, frame);
      return;
    }
    const packet = this.#parse(stream, frame);
    if (packet === undefined) {
      this.#host.forward(stream, frame);
      return;
    }
    switch (type) {
      case CONNECT:
        this.#connect(frame, packet);
        return;
      case CONNACK:
        this.#connack(frame, packet);
        return;
      case PUBLISH:
        this.#publish(stream, frame, packet);
        return;
      case PUBACK:
      case PUBREC:
        this.#ack(stream, frame, packet);
        return;
      case PUBREL:
        this.#pubrel(stream, frame, packet);
        return;
      default:
        this.#host.forward(stream, frame);
    }
  }

  #parse(stream: Stream, frame: Buffer): Pkt | undefined {
    const parser = this.#parsers[stream];
    let out: Pkt | undefined;
    let failed = false;
    const onPacket = (p: mqttPacket.Packet) => {
      out = p as Pkt;
    };
    const onError = () => {
      failed = true;
    };
    parser.on('packet', onPacket);
    parser.on('error', onError);
    try {
      parser.parse(frame);
    } finally {
      parser.off('packet', onPacket);
      parser.off('error', onError);
    }
    return failed ? undefined : out;
  }

  #connect(frame: Buffer, packet: Pkt): void {
    this.#version = Number(packet.protocolVersion ?? 4);
    this.#parsers.upstream.settings.protocolVersion = this.#version;
    this.#parsers.downstream.settings.protocolVersion = this.#version;
    this.#clientId = typeof packet.clientId === 'string' ? packet.clientId : undefined;
    const n = this.#host.count('connect');
    for (const rule of this.#applicable()) {
      const spec = rule.spec;
      if (spec.kind !== 'forge-session-present' || spec.discardSession === false) continue;
      if ((spec.connack ?? 2) !== n || packet.clean === true) continue;
      // Clean Start makes the broker discard the session and everything it queued [MQTT-3.1.2-4].
      const forged = mqttPacket.generate({ ...packet, clean: true } as mqttPacket.Packet, {
        protocolVersion: this.#version,
      });
      this.#host.fired(rule, 'clean-start', { cmd: 'connect' });
      this.#host.forward('upstream', forged);
      return;
    }
    this.#host.forward('upstream', frame);
  }

  #connack(frame: Buffer, packet: Pkt): void {
    const n = this.#host.count('connack');
    for (const rule of this.#applicable()) {
      const spec = rule.spec;
      if (spec.kind !== 'forge-session-present' || (spec.connack ?? 2) !== n) continue;
      this.#use(rule);
      if (packet.sessionPresent !== true) {
        this.#host.fired(rule, 'sessionPresent=0', { cmd: 'connack' });
        break;
      }
      const forged = mqttPacket.generate({ ...packet, sessionPresent: false } as mqttPacket.Packet, {
        protocolVersion: this.#version,
      });
      this.#host.fired(rule, 'forged', { cmd: 'connack' });
      this.#host.forward('downstream', forged);
      this.#replay();
      return;
    }
    this.#host.forward('downstream', frame);
    this.#replay();
  }

  /** Copies kept by `duplicate` with `afterReconnect` go out right after the CONNACK. */
  #replay(): void {
    for (const r of this.#host.takeReplays()) {
      this.#host.forward('downstream', r.bytes);
      if (r.messageId !== undefined) {
        const acks = this.#swallow.upstream;
        acks.set(r.messageId, (acks.get(r.messageId) ?? 0) + 1);
      }
      this.#host.fired(r.rule, 'replayed after the reconnect', r.summary);
    }
  }

  #publish(stream: Stream, frame: Buffer, packet: Pkt): void {
    const info = this.#info(stream, packet);
    const summary = summarize(info);
    const key = info.identity === undefined ? undefined : identityKey(info.identity);
    if (stream === 'upstream' && key !== undefined) {
      if (info.qos === 0) this.#host.markAcked(key);
      else if (info.messageId !== undefined) this.#pendingUp.set(info.messageId, key);
    }
    if (stream === 'downstream' && info.qos > 0 && info.messageId !== undefined)
      this.#unackedDown.add(info.messageId);
    for (const rule of this.#applicable()) {
      const spec = rule.spec;
      switch (spec.kind) {
        case 'drop': {
          if (spec.stream !== stream || !this.#matches(rule, spec.match, info)) break;
          this.#use(rule);
          this.#host.fired(rule, 'dropped', summary);
          if ((spec.answer ?? true) && info.qos > 0 && info.messageId !== undefined) {
            const back = other(stream);
            if (info.qos === 2) this.#answeredQos2[stream].add(info.messageId);
            this.#host.forward(back, this.#encodeAck(info.qos === 1 ? 'puback' : 'pubrec', info.messageId));
            this.#host.fired(rule, 'answered', summary);
          }
          return;
        }
        case 'duplicate': {
          if (spec.stream !== stream || !this.#matches(rule, spec.match, info)) break;
          this.#use(rule);
          this.#host.forward(stream, frame);
          const copy = mqttPacket.generate({ ...packet, dup: spec.dup } as mqttPacket.Packet, {
            protocolVersion: this.#version,
          });
          if (spec.afterReconnect === true && stream === 'downstream') {
            this.#host.replayAfterConnack(copy, info.messageId, summary, rule);
            this.#host.fired(rule, spec.dup ? 'kept (DUP=1)' : 'kept (DUP=0)', summary);
            return;
          }
          if (info.qos > 0 && info.messageId !== undefined) {
            const acks = this.#swallow[other(stream)];
            acks.set(info.messageId, (acks.get(info.messageId) ?? 0) + 1);
          }
          this.#host.forward(stream, copy);
          this.#host.fired(rule, spec.dup ? 'duplicated (DUP=1)' : 'duplicated (DUP=0)', summary);
          return;
        }
        case 'reorder': {
          if (spec.stream !== stream) break;
          const held = this.#held.get(rule);
          if (held === undefined && this.#matches(rule, spec.first, info)) {
            const timer = setTimeout(
              () => this.#release(rule, 'released (max hold)'),
              spec.maxHoldMs ?? 5000,
            );
            this.#held.set(rule, { bytes: frame, timer, summary });
            this.#host.fired(rule, 'held', summary);
            return;
          }
          if (held !== undefined && this.#matches(rule, spec.second, info)) {
            this.#host.forward(stream, frame);
            this.#host.fired(rule, 'passed', summary);
            this.#release(rule, 'released after it');
            return;
          }
          break;
        }
        case 'withhold-ack': {
          if (spec.stream !== stream || info.qos === 0 || info.messageId === undefined) break;
          if (!this.#matches(rule, spec.match, info)) break;
          this.#use(rule, false);
          this.#withhold[other(stream)].set(info.messageId, rule);
          break;
        }
        case 'cut-after-ack': {
          if (stream !== 'downstream' || !this.#matches(rule, spec.match, info)) break;
          this.#use(rule);
          this.#host.fired(rule, 'held', summary);
          this.#cutting = true;
          if (info.messageId !== undefined) this.#unackedDown.delete(info.messageId);
          const cut = (acked: boolean) => {
            this.#host.fired(
              rule,
              acked ? 'cut (after the broker acknowledged)' : 'cut (ack not seen)',
              summary,
            );
            this.#host.cut();
          };
          const bound = spec.ackWaitMs ?? 2000;
          if (key === undefined) cut(false);
          else
            void this.#host.waitAcked(key, bound).then(async (acked) => {
              // Earlier deliveries complete first, so the cut takes exactly this message.
              await this.#settledDown(bound);
              cut(acked);
            });
          return;
        }
        default:
          break;
      }
    }
    this.#host.forward(stream, frame);
  }

  /** Resolves when every PUBLISH forwarded to the client was acknowledged by it (at most `ms`). */
  async #settledDown(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (this.#unackedDown.size > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  }

  #ack(stream: Stream, frame: Buffer, packet: Pkt): void {
    const id = Number(packet.messageId);
    if (stream === 'upstream') this.#unackedDown.delete(id);
    if (stream === 'downstream') {
      const key = this.#pendingUp.get(id);
      if (key !== undefined) {
        this.#pendingUp.delete(id);
        const code = Number(packet.reasonCode ?? 0);
        if (code < 0x80) this.#host.markAcked(key);
      }
    }
    const swallow = this.#swallow[stream];
    const n = swallow.get(id) ?? 0;
    if (n > 0) {
      if (n === 1) swallow.delete(id);
      else swallow.set(id, n - 1);
      return;
    }
    const rule = this.#withhold[stream].get(id);
    if (rule !== undefined) {
      this.#withhold[stream].delete(id);
      this.#host.fired(rule, 'withheld', { cmd: String(packet.cmd), messageId: id });
      this.#spendOne(rule);
      if (rule.spec.kind === 'withhold-ack' && rule.spec.cut === true) this.#host.cut();
      return;
    }
    this.#host.forward(stream, frame);
  }

  #pubrel(stream: Stream, frame: Buffer, packet: Pkt): void {
    const id = Number(packet.messageId);
    if (this.#answeredQos2[stream].delete(id)) {
      this.#host.forward(other(stream), this.#encodeAck('pubcomp', id));
      return;
    }
    this.#host.forward(stream, frame);
  }

  #release(rule: ActiveRule, action: string): void {
    const held = this.#held.get(rule);
    if (held === undefined) return;
    clearTimeout(held.timer);
    this.#held.delete(rule);
    if (rule.spec.kind !== 'reorder') return;
    this.#host.forward(rule.spec.stream, held.bytes);
    this.#host.fired(rule, action, held.summary);
    this.#spendOne(rule);
  }

  #encodeAck(cmd: 'puback' | 'pubrec' | 'pubcomp', messageId: number): Buffer {
    const p: Record<string, unknown> = { cmd, messageId };
    if (this.#version === 5) p.reasonCode = 0;
    return mqttPacket.generate(p as unknown as mqttPacket.Packet, { protocolVersion: this.#version });
  }

  #applicable(): ActiveRule[] {
    return this.#host.rules().filter((r) => {
      const c = r.spec.client;
      return c === undefined || c === this.#host.client || c === this.#clientId;
    });
  }

  /** Counts a match for `nth`; true when this packet is the one. */
  #matches(rule: ActiveRule, m: PublishMatch, p: PublishInfo): boolean {
    if (m.topic !== undefined && m.topic !== p.topic) return false;
    if (m.qos !== undefined && m.qos !== p.qos) return false;
    if (m.publisher !== undefined && m.publisher !== p.identity?.publisher) return false;
    if (m.seq !== undefined && m.seq !== p.identity?.seq) return false;
    if (m.where !== undefined && !m.where(p)) return false;
    const n = (rule.seen.get(m) ?? 0) + 1;
    rule.seen.set(m, n);
    return m.nth === undefined || m.nth === n;
  }

  /** One action of a rule; `spend` false when the action completes later (withhold-ack). */
  #use(rule: ActiveRule, spend = true): void {
    if (spend && rule.spec.kind !== 'reorder') this.#spendOne(rule);
  }

  #spendOne(rule: ActiveRule): void {
    if (rule.left === undefined) return;
    rule.left--;
    if (rule.left <= 0) rule.spent();
  }

  #info(stream: Stream, packet: Pkt): PublishInfo {
    const payload = Buffer.isBuffer(packet.payload)
      ? packet.payload
      : Buffer.from((packet.payload as string | undefined) ?? '');
    const qos = Number(packet.qos ?? 0) as 0 | 1 | 2;
    return {
      client: this.#host.client,
      clientId: this.#clientId,
      stream,
      topic: String(packet.topic ?? ''),
      qos,
      dup: packet.dup === true,
      retain: packet.retain === true,
      messageId: qos > 0 ? Number(packet.messageId) : undefined,
      payload,
      identity: parseIdentity(payload),
    };
  }
}

/** Splits a byte stream into MQTT control packets by their fixed header (type byte + length). */
export class FrameSplitter {
  #buf: Buffer = Buffer.alloc(0);
  /** Not MQTT (a length of more than 4 bytes): everything from here on passes as it comes. */
  broken = false;

  push(chunk: Buffer): Buffer[] {
    if (this.broken) return [chunk];
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const frames: Buffer[] = [];
    for (;;) {
      const b = this.#buf;
      if (b.length < 2) break;
      let length = 0;
      let mul = 1;
      let i = 1;
      let complete = false;
      for (; i < b.length && i <= 4; i++) {
        const byte = b[i] as number;
        length += (byte & 0x7f) * mul;
        mul *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) {
        if (i > 4) {
          // A Remaining Length has at most 4 bytes [MQTT-2.2.3]: not MQTT, stop parsing.
          this.broken = true;
          frames.push(b);
          this.#buf = Buffer.alloc(0);
        }
        break;
      }
      const total = i + 1 + length;
      if (b.length < total) break;
      frames.push(b.subarray(0, total));
      this.#buf = b.subarray(total);
    }
    return frames;
  }
}

/** Parses `mqscen1 <run> <publisher> <seq> <sendMs>\n` at the start of a payload. */
export function parseIdentity(payload: Buffer): MessageIdentity | undefined {
  if (payload.length < 16 || payload.toString('latin1', 0, 8) !== 'mqscen1 ') return undefined;
  const nl = payload.indexOf(0x0a);
  if (nl < 0 || nl > 120) return undefined;
  const parts = payload.toString('latin1', 8, nl).split(' ');
  if (parts.length !== 4) return undefined;
  const [run, publisher, seq, sendMs] = parts as [string, string, string, string];
  if (!/^\d+$/.test(publisher) || !/^\d+$/.test(seq)) return undefined;
  return { run, publisher: Number(publisher), seq: Number(seq), sendMs: Number(sendMs) };
}

export function identityKey(i: MessageIdentity): string {
  return `${i.run} ${i.publisher} ${i.seq}`;
}

function summarize(p: PublishInfo): PacketSummary {
  const s: PacketSummary = { cmd: 'publish', topic: p.topic };
  if (p.messageId !== undefined) s.messageId = p.messageId;
  if (p.identity !== undefined) s.identity = `${p.identity.publisher}#${p.identity.seq}`;
  return s;
}

function other(s: Stream): Stream {
  return s === 'upstream' ? 'downstream' : 'upstream';
}
