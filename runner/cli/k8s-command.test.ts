/**
 * `mqscen k8s job` output checked against a JSON schema written from the Kubernetes API reference
 * (v1.30: batch/v1 Job, v1 Service, v1 PersistentVolumeClaim, the PodSpec parts used). Fields the
 * API requires are required here; unknown fields are refused in the objects we write (a typo such
 * as `completionmode` would be dropped silently by a lenient apply and the Job would not be Indexed).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { parseAllDocuments, stringify } from 'yaml';
import { UsageError } from '../errors.js';
import { buildK8sJob } from './k8s-command.js';

const dnsLabel = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 };
const quantity = { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$' };
const labels = { type: 'object', additionalProperties: { type: 'string', maxLength: 63 } };
const metadata = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: dnsLabel, namespace: dnsLabel, labels },
};
const envVar = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[-._a-zA-Z][-._a-zA-Z0-9]*$' },
    value: { type: 'string' },
    valueFrom: {
      type: 'object',
      additionalProperties: false,
      properties: {
        fieldRef: {
          type: 'object',
          required: ['fieldPath'],
          additionalProperties: false,
          properties: { fieldPath: { type: 'string' }, apiVersion: { type: 'string' } },
        },
      },
    },
  },
};
const container = {
  type: 'object',
  required: ['name', 'image'],
  additionalProperties: false,
  properties: {
    name: dnsLabel,
    image: { type: 'string', minLength: 1 },
    command: { type: 'array', items: { type: 'string' } },
    args: { type: 'array', items: { type: 'string' } },
    env: { type: 'array', items: envVar },
    volumeMounts: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'mountPath'],
        additionalProperties: false,
        properties: { name: dnsLabel, mountPath: { type: 'string', pattern: '^/' } },
      },
    },
  },
};
const podTemplate = {
  type: 'object',
  required: ['spec'],
  additionalProperties: false,
  properties: {
    metadata: { type: 'object', additionalProperties: false, properties: { labels } },
    spec: {
      type: 'object',
      required: ['containers'],
      additionalProperties: false,
      properties: {
        // A Job's pods may only use Never or OnFailure.
        restartPolicy: { enum: ['Never', 'OnFailure'] },
        subdomain: dnsLabel,
        containers: { type: 'array', minItems: 1, items: container },
        volumes: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name'],
            additionalProperties: false,
            properties: {
              name: dnsLabel,
              persistentVolumeClaim: {
                type: 'object',
                required: ['claimName'],
                additionalProperties: false,
                properties: { claimName: dnsLabel },
              },
            },
          },
        },
      },
    },
  },
};
const job = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'batch/v1' },
    kind: { const: 'Job' },
    metadata,
    spec: {
      type: 'object',
      required: ['template'],
      additionalProperties: false,
      properties: {
        completionMode: { enum: ['NonIndexed', 'Indexed'] },
        completions: { type: 'integer', minimum: 0 },
        parallelism: { type: 'integer', minimum: 0 },
        backoffLimit: { type: 'integer', minimum: 0 },
        activeDeadlineSeconds: { type: 'integer', minimum: 1 },
        template: podTemplate,
      },
      // Indexed completion needs completions set [JobSpec.completionMode].
      if: { properties: { completionMode: { const: 'Indexed' } }, required: ['completionMode'] },
      // biome-ignore lint/suspicious/noThenProperty: a JSON schema keyword
      then: { required: ['completions'] },
    },
  },
};
const service = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'v1' },
    kind: { const: 'Service' },
    metadata,
    spec: {
      type: 'object',
      additionalProperties: false,
      properties: {
        clusterIP: { type: 'string' },
        selector: labels,
        publishNotReadyAddresses: { type: 'boolean' },
        ports: {
          type: 'array',
          items: {
            type: 'object',
            required: ['port'],
            additionalProperties: false,
            properties: {
              name: dnsLabel,
              port: { type: 'integer', minimum: 1, maximum: 65535 },
              targetPort: { type: 'integer', minimum: 1, maximum: 65535 },
              protocol: { enum: ['TCP', 'UDP', 'SCTP'] },
            },
          },
        },
      },
    },
  },
};
const pvc = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'v1' },
    kind: { const: 'PersistentVolumeClaim' },
    metadata,
    spec: {
      type: 'object',
      required: ['accessModes', 'resources'],
      additionalProperties: false,
      properties: {
        accessModes: {
          type: 'array',
          minItems: 1,
          items: { enum: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] },
        },
        resources: {
          type: 'object',
          required: ['requests'],
          properties: {
            requests: { type: 'object', required: ['storage'], properties: { storage: quantity } },
          },
        },
      },
    },
  },
};
const ajv = new Ajv({ allErrors: true, strict: false });
const validators = {
  Job: ajv.compile(job),
  Service: ajv.compile(service),
  PersistentVolumeClaim: ajv.compile(pvc),
};

function validate(doc: unknown): void {
  const kind = (doc as { kind?: string }).kind as keyof typeof validators;
  const check = validators[kind];
  assert.ok(check, `unexpected kind ${kind}`);
  assert.ok(check(doc), `${kind}: ${ajv.errorsText(check.errors)}`);
}

test('k8s job: an Indexed Job of N shards, a headless Service and a merge Job, valid Kubernetes objects', () => {
  const objects = buildK8sJob(['scenarios/*.yaml'], {
    shards: '4',
    image: 'ghcr.io/example/mqscen:1',
    namespace: 'load',
    target: 'mqtt://broker:1883',
  });
  // Through YAML and back, as kubectl reads it.
  const text = objects.map((o) => stringify(o, { aliasDuplicateObjects: false })).join('---\n');
  const docs = parseAllDocuments(text).map((d) => d.toJS() as Record<string, never>);
  assert.equal(docs.length, 4);
  for (const d of docs) validate(d);
  // biome-ignore lint/suspicious/noExplicitAny: walking parsed manifests
  const [, svc, shards, merge] = docs as [any, any, any, any];
  assert.equal(shards.spec.completionMode, 'Indexed');
  assert.equal(shards.spec.completions, 4);
  assert.equal(shards.spec.parallelism, 4);
  assert.equal(shards.spec.backoffLimit, 0);
  assert.equal(shards.spec.template.spec.restartPolicy, 'Never');
  const args: string[] = shards.spec.template.spec.containers[0].args;
  assert.deepEqual(args.slice(0, 4), ['run', 'scenarios/*.yaml', '--shards', '4']);
  assert.ok(args.includes('$(MQSCEN_RUN_ID)'));
  assert.ok(args.includes('/results/shard-$(JOB_COMPLETION_INDEX).json'));
  assert.equal(svc.spec.clusterIP, 'None');
  assert.equal(svc.metadata.name, shards.spec.template.spec.subdomain);
  assert.equal(merge.spec.backoffLimit, 0);
  assert.match(merge.spec.template.spec.containers[0].args[0], /-lt 4 \]/);
  assert.match(merge.spec.template.spec.containers[0].args[0], /mqscen\.js merge \/results\/shard-\*\.json/);
  // The validator itself refuses what Kubernetes would refuse or silently drop.
  const broken = structuredClone(shards);
  broken.spec.completionmode = 'Indexed';
  assert.equal(validators.Job(broken), false);
  const noCompletions = structuredClone(shards);
  delete noCompletions.spec.completions;
  assert.equal(validators.Job(noCompletions), false);
  const restart = structuredClone(shards);
  restart.spec.template.spec.restartPolicy = 'Always';
  assert.equal(validators.Job(restart), false);
});

test('k8s job: bad shard counts and names are usage errors', () => {
  assert.throws(() => buildK8sJob([], { shards: '0', image: 'x' }), UsageError);
  assert.throws(() => buildK8sJob([], { shards: 'two', image: 'x' }), UsageError);
  assert.throws(() => buildK8sJob([], { shards: '2', image: 'x', name: 'Bad_Name' }), UsageError);
  assert.throws(() => buildK8sJob([], { shards: '2', image: ' ' }), UsageError);
});

test('k8s job --shard-by clients: the shard pods split the clients over one broker, valid Kubernetes objects', () => {
  const objects = buildK8sJob(['scenarios/fleet.yaml'], {
    shards: '8',
    image: 'ghcr.io/example/mqscen:1',
    target: 'mqtt://broker.load:1883',
    shardBy: 'clients',
  });
  const text = objects.map((o) => stringify(o, { aliasDuplicateObjects: false })).join('---\n');
  const docs = parseAllDocuments(text).map((d) => d.toJS() as Record<string, never>);
  assert.equal(docs.length, 4);
  for (const d of docs) validate(d);
  // biome-ignore lint/suspicious/noExplicitAny: walking parsed manifests
  const [, svc, shards, merge] = docs as [any, any, any, any];
  assert.equal(shards.spec.completionMode, 'Indexed');
  assert.equal(shards.spec.completions, 8);
  assert.equal(shards.spec.parallelism, 8);
  assert.equal(shards.spec.backoffLimit, 0);
  const args: string[] = shards.spec.template.spec.containers[0].args;
  assert.deepEqual(args.slice(0, 6), [
    'run',
    'scenarios/fleet.yaml',
    '--shards',
    '8',
    '--shard-by',
    'clients',
  ]);
  // Every pod: the same broker, the same run id (so the same {run} in client ids and one barrier set).
  assert.deepEqual(args.slice(args.indexOf('--target'), args.indexOf('--target') + 2), [
    '--target',
    'mqtt://broker.load:1883',
  ]);
  assert.ok(args.includes('$(MQSCEN_RUN_ID)'));
  assert.ok(!args.includes('--coordinator'), 'the default coordinator is the target');
  assert.equal(svc.metadata.name, shards.spec.template.spec.subdomain);
  assert.match(merge.spec.template.spec.containers[0].args[0], /-lt 8 \]/);
  // The whole-file default does not pass --shard-by.
  const files = buildK8sJob([], { shards: '2', image: 'x', target: 'mqtt://b:1883' });
  // biome-ignore lint/suspicious/noExplicitAny: walking built manifests
  assert.ok(!((files[2] as any).spec.template.spec.containers[0].args as string[]).includes('--shard-by'));
  // A separate coordinator is passed through.
  const coord = buildK8sJob([], {
    shards: '2',
    image: 'x',
    target: 'mqtts://broker.load:8883',
    coordinator: 'mqtt://coordinator.load:1883',
    shardBy: 'clients',
  });
  // biome-ignore lint/suspicious/noExplicitAny: walking built manifests
  const coordArgs = (coord[2] as any).spec.template.spec.containers[0].args as string[];
  assert.deepEqual(
    coordArgs.slice(coordArgs.indexOf('--coordinator'), coordArgs.indexOf('--coordinator') + 2),
    ['--coordinator', 'mqtt://coordinator.load:1883'],
  );
});

test('k8s job --shard-by clients: refused without one broker every pod reaches', () => {
  const base = { shards: '4', image: 'x', shardBy: 'clients' };
  // No -t: each pod would start its own embedded broker; so would embedded and mosquitto.
  assert.throws(() => buildK8sJob([], base), /needs -t/);
  assert.throws(() => buildK8sJob([], { ...base, target: 'embedded:mosquitto' }), /one per pod/);
  assert.throws(() => buildK8sJob([], { ...base, target: 'mosquitto' }), /one per pod/);
  // A TLS target cannot be the default coordinator.
  assert.throws(
    () => buildK8sJob([], { ...base, target: 'mqtts://broker:8883' }),
    /--coordinator|coordinator/,
  );
  assert.throws(() => buildK8sJob([], { ...base, shardBy: 'topics', target: 'mqtt://b:1883' }), UsageError);
  assert.doesNotThrow(() => buildK8sJob([], { ...base, target: 'my-broker' }));
});
