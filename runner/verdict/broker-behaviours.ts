/**
 * What the brokers mqscen knows do where MQTT leaves room or where a broker departs from the
 * specification: one row per behaviour, each citing its rule (the MQTT normative statement, or the
 * AWS IoT rule id from docs/aws-iot-semantics.md). The session model, the oracle and the
 * assertions consult this table; nothing else in the runner checks a target's kind or behaviour
 * name to decide a verdict.
 */
import type { Behaviour } from '../targets/target.js';

export interface BrokerBehaviour {
  readonly name: Behaviour;
  /**
   * `a/#` also matches the parent level `a` [MQTT-4.7.1-2]; AWS IoT does not (T-2).
   */
  readonly hashMatchesParent: boolean;
  /**
   * A `$share` group keeps one queue, served to online members first and drained by any member
   * that is online, including one that joined after the publish (MQ-3, MQ-5, MQ-6). Without it
   * (Mosquitto, the specification's own model, MQTT 5 §4.8.2) a message dealt to a member waits
   * in that member's session.
   */
  readonly groupQueue: boolean;
  /**
   * The runner may send Subscription Identifiers unless the CONNACK says Subscription
   * Identifiers Available = 0 [MQTT-3.2.2-21]. AWS IoT answers one with DISCONNECT 0xA1
   * (M5-2, M5-6), so it is never sent there.
   */
  readonly subscriptionIdentifiers: boolean;
  /**
   * Which new subscriptions get retained messages at subscribe time: every matching non-shared
   * filter [MQTT-3.3.1-9] or only a filter equal to the topic; never a shared filter
   * (MQTT 5 §4.8.2, SS-8).
   */
  readonly retainedAtSubscribe: 'matching-filter' | 'equal-filter';
  /** Rule ids the `retained` assertion cites for this behaviour. */
  readonly retainedRules: readonly string[];
  /**
   * A connection with another protocol version resumes the session. AWS IoT starts a fresh one
   * (PS-5); MQTT does not say, so `generic` accepts a fresh one too; Mosquitto resumes.
   */
  readonly crossVersionResume: boolean;
}

const BEHAVIOURS: Readonly<Record<Behaviour, BrokerBehaviour>> = Object.freeze({
  'aws-iot': Object.freeze({
    name: 'aws-iot',
    hashMatchesParent: false, // T-2
    groupQueue: true, // MQ-3, MQ-5, MQ-6
    subscriptionIdentifiers: false, // M5-2, M5-6
    retainedAtSubscribe: 'equal-filter', // R-3, SS-8
    retainedRules: Object.freeze(['MQTT-3.3.1-6', 'MQTT-3.3.1-8', 'R-3', 'SS-8']),
    crossVersionResume: false, // PS-5
  }),
  mosquitto: Object.freeze({
    name: 'mosquitto',
    hashMatchesParent: true, // [MQTT-4.7.1-2]
    groupQueue: false, // MQTT 5 §4.8.2: dealt to a member's session
    subscriptionIdentifiers: true, // [MQTT-3.3.4-3]
    retainedAtSubscribe: 'matching-filter', // [MQTT-3.3.1-9]
    retainedRules: Object.freeze(['MQTT-3.3.1-6', 'MQTT-3.3.1-8']),
    crossVersionResume: true, // Mosquitto 2.0: one session per client id, whatever the version
  }),
  generic: Object.freeze({
    name: 'generic',
    hashMatchesParent: true, // [MQTT-4.7.1-2]
    groupQueue: false, // MQTT 5 §4.8.2
    subscriptionIdentifiers: true, // [MQTT-3.3.4-3], gated by the CONNACK
    retainedAtSubscribe: 'matching-filter', // [MQTT-3.3.1-9]
    retainedRules: Object.freeze(['MQTT-3.3.1-6', 'MQTT-3.3.1-8']),
    crossVersionResume: false, // not specified by MQTT: a fresh session is no loss
  }),
});

/** The behaviour row of a target's behaviour name. */
export function brokerBehaviour(name: Behaviour): BrokerBehaviour {
  return BEHAVIOURS[name];
}
