/**
 * The broker configuration file of `mqscen broker --config FILE` (schemas/broker.schema.json):
 * read with positions and validated by the document toolkit, so every mistake is reported as
 * `file:line:col  path  message` (ScenarioError, exit 2), and the command-line flags for the common
 * settings, which win over the file.
 */
import type { BrokerSettings, ProfileName } from '../../broker/index.js';
import { sortIssues, toIssue } from '../document/problem.js';
import { createSchemaChecker } from '../document/schema.js';
import { type DocumentKind, loadDocument } from '../document/yaml.js';
import { ScenarioError, UsageError } from '../errors.js';

export interface BrokerConfig {
  profile?: ProfileName;
  settings: Partial<BrokerSettings>;
}

const BROKER_FILE: DocumentKind = {
  noun: 'broker configuration',
  maxBytes: 256 * 1024,
  emptyHint: 'set e.g. `profile: mosquitto` and `settings: { maxQueuedMessages: 1000 }`',
  directoryHint: '--config takes a YAML or JSON file such as broker.yaml',
  maxAliasCount: 100,
};

const checker = createSchemaChecker('broker.schema.json', {
  key: 'setting',
  rootTypeMessage: 'must be a mapping, e.g. `profile: mosquitto` and `settings: { maxKeepAlive: 60 }`',
});

/** Reads and validates a broker configuration file; ScenarioError with every positioned issue. */
export async function loadBrokerConfig(file: string): Promise<BrokerConfig> {
  const result = await loadDocument(file, BROKER_FILE);
  if (!result.ok) {
    const what = { unreadable: 'cannot be used', syntax: 'is not valid YAML', empty: 'is empty' }[
      result.reason
    ];
    throw new ScenarioError(`broker configuration ${file} ${what}`, result.issues);
  }
  const problems = checker.problems(result.loaded.value);
  if (problems.length > 0) {
    const issues = sortIssues(problems.map((p) => toIssue(result.loaded, p)));
    throw new ScenarioError(`broker configuration ${file} has ${issues.length} problem(s)`, issues);
  }
  const value = result.loaded.value as { profile?: ProfileName; settings?: Partial<BrokerSettings> };
  const config: BrokerConfig = { settings: { ...value.settings } };
  if (value.profile !== undefined) config.profile = value.profile;
  return config;
}

/** Command-line flag → setting, for the settings users change most. */
export const SETTING_FLAGS = {
  maxKeepalive: { flag: '--max-keepalive', setting: 'maxKeepAlive', unit: 'seconds' },
  receiveMaximum: { flag: '--receive-maximum', setting: 'receiveMaximum', unit: 'messages' },
  maxQueued: { flag: '--max-queued', setting: 'maxQueuedMessages', unit: 'messages' },
  maxPacketSize: { flag: '--max-packet-size', setting: 'maxPacketSize', unit: 'bytes' },
  connectTimeout: { flag: '--connect-timeout', setting: 'connectTimeout', unit: 'seconds' },
} as const satisfies Record<string, { flag: string; setting: keyof BrokerSettings; unit: string }>;

/** The settings given as flags (commander option names as keys); UsageError naming the flag for a bad value. */
export function settingsFromFlags(options: Record<string, unknown>): Partial<BrokerSettings> {
  const settings: Partial<Record<keyof BrokerSettings, number>> = {};
  for (const [option, { flag, setting, unit }] of Object.entries(SETTING_FLAGS)) {
    const raw = options[option];
    if (raw === undefined) continue;
    const value = Number(raw);
    // connectTimeout takes fractions of a second; the others are whole numbers.
    const ok =
      setting === 'connectTimeout'
        ? Number.isFinite(value) && value >= 0
        : Number.isInteger(value) && value >= 0;
    if (!ok || (setting === 'receiveMaximum' && (value < 1 || value > 65_535))) {
      throw new UsageError(`${flag} "${String(raw)}" is not a valid number of ${unit}`, {
        hint:
          setting === 'receiveMaximum'
            ? 'use 1..65535'
            : `use a whole number ≥ 0${setting === 'maxKeepAlive' || setting === 'connectTimeout' ? ' (0 = no limit)' : ''}`,
      });
    }
    settings[setting] = value;
  }
  return settings as Partial<BrokerSettings>;
}
