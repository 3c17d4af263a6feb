/**
 * `mqscen k8s job --shards N --image IMAGE [files...]`: prints the Kubernetes objects of a sharded
 * run, for `kubectl apply -f -`. mqscen schedules nothing itself: the cluster's Job controller
 * starts the shards, each gets its index from JOB_COMPLETION_INDEX (completionMode Indexed).
 *
 * - a PersistentVolumeClaim (ReadWriteMany) the shards write their shard files to;
 * - a headless Service whose DNS names the shard pods (`<job>-<index>.<job>`), for a coordinator
 *   or broker hosted on shard 0;
 * - with `--shard-by clients`, the shards split the clients of every scenario: every pod must reach
 *   the broker under test (`-t`, required) and the coordinator of the step barriers, which is that
 *   broker (under `mqscen-shards/`) unless `--coordinator` names another;
 * - the Indexed Job: `backoffLimit: 0`, so a failed pod is not started again (a rerun shard would
 *   publish its messages twice), `parallelism = completions = N`, the run id every shard shares
 *   from the Job's uid (downward API);
 * - the merge Job: waits (bounded) for the N shard files and runs `mqscen merge`, which fails the
 *   run, naming the index, when a shard never wrote its file.
 */
import { stringify } from 'yaml';
import { MAX_SHARDS } from '../engine/shard.js';
import { UsageError } from '../errors.js';

export interface K8sJobOptions {
  shards: string;
  image: string;
  namespace?: string;
  /** Coordinator broker URL for the shards (`--coordinator`). */
  coordinator?: string;
  /** `--shard-by` for the shards: whole files (default) or the clients of every scenario. */
  shardBy?: string;
  /** `-t` for the shards: the broker under test. */
  target?: string;
  /** Base name of the objects. @default mqscen */
  name?: string;
  /** Bounded wait of the merge Job for the shard files, seconds. @default 3600 */
  mergeTimeout?: string;
  /** Storage request of the results claim. @default 1Gi */
  storage?: string;
}

export type K8sObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
};

const RESULTS = '/results';
/** The label the Job controller puts on every pod of an Indexed Job (Kubernetes 1.28+). */
const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
const INDEX_LABEL = 'batch.kubernetes.io/job-completion-index';

export function buildK8sJob(files: readonly string[], opts: K8sJobOptions): K8sObject[] {
  if (!/^\d+$/.test(opts.shards) || Number(opts.shards) < 1 || Number(opts.shards) > MAX_SHARDS) {
    throw new UsageError(`--shards ${opts.shards}: a whole number 1..${MAX_SHARDS}`);
  }
  const n = Number(opts.shards);
  const name = opts.name ?? 'mqscen';
  // Pod hostnames are <job>-<index>: the job name must leave room for the index in 63 characters.
  if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 50) {
    throw new UsageError(`--name ${name}: a DNS label of at most 50 characters (a-z, 0-9, -)`);
  }
  if (opts.image.trim() === '')
    throw new UsageError('--image is required (an image built from the Dockerfile)');
  const ns = opts.namespace === undefined ? {} : { namespace: opts.namespace };
  const labels = { 'app.kubernetes.io/name': 'mqscen', 'app.kubernetes.io/instance': name };
  const shardJob = `${name}-shards`;
  const claim = `${name}-results`;
  const mergeTimeout = Number(opts.mergeTimeout ?? '3600');
  if (!Number.isInteger(mergeTimeout) || mergeTimeout < 1)
    throw new UsageError('--merge-timeout: whole seconds ≥ 1');

  const shardBy = opts.shardBy ?? 'files';
  if (shardBy !== 'files' && shardBy !== 'clients')
    throw new UsageError(`--shard-by ${shardBy}: files or clients`);
  if (shardBy === 'clients') {
    // Client shards are one run over one broker: every pod's clients must meet on it, and the step
    // barriers go over it too unless --coordinator names another. A broker started by each pod
    // (embedded, mosquitto) would give every shard its own.
    const t = opts.target;
    if (t === undefined || t === 'mosquitto' || t === 'embedded' || t.startsWith('embedded:')) {
      throw new UsageError(
        `--shard-by clients needs -t, the one broker every shard pod reaches${t === undefined ? '' : ` (${t} would start one per pod)`}`,
        {
          hint: 'give the broker under test by URL or by a name from the targets file in the image: -t mqtt://broker.load:1883',
        },
      );
    }
    // The default coordinator is the target itself, which the barriers reach only without TLS or
    // credentials (as `mqscen run` checks); said here rather than in N failed pods.
    if (opts.coordinator === undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(t) && !/^(mqtt|ws):\/\//i.test(t)) {
      throw new UsageError(
        `--shard-by clients: the target ${t} cannot also be the coordinator of the step barriers (TLS or credentials)`,
        { hint: 'give a broker every shard pod reaches without them: --coordinator mqtt://host:1883' },
      );
    }
  }

  const runArgs = [
    'run',
    ...files,
    '--shards',
    String(n),
    ...(shardBy === 'clients' ? ['--shard-by', 'clients'] : []),
    '--run-id',
    '$(MQSCEN_RUN_ID)',
    '--shard-file',
    `${RESULTS}/shard-$(JOB_COMPLETION_INDEX).json`,
    '--junit',
    `${RESULTS}/junit-$(JOB_COMPLETION_INDEX).xml`,
    '--no-json',
    '--no-html',
    '--reporter',
    'plain',
    ...(opts.target === undefined ? [] : ['--target', opts.target]),
    ...(opts.coordinator === undefined ? [] : ['--coordinator', opts.coordinator]),
  ];
  const volume = { name: 'results', persistentVolumeClaim: { claimName: claim } };
  const mount = { name: 'results', mountPath: RESULTS };

  const pvc: K8sObject = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: claim, ...ns, labels },
    spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: opts.storage ?? '1Gi' } } },
  };
  const service: K8sObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: shardJob, ...ns, labels },
    spec: {
      clusterIP: 'None',
      // Shard 0 hosts a coordinator when one runs in the Job; every shard pod gets a DNS name.
      selector: { [JOB_NAME_LABEL]: shardJob, [INDEX_LABEL]: '0' },
      ports: [{ name: 'mqtt', port: 1883, targetPort: 1883, protocol: 'TCP' }],
      publishNotReadyAddresses: true,
    },
  };
  const job: K8sObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: shardJob, ...ns, labels },
    spec: {
      completionMode: 'Indexed',
      completions: n,
      parallelism: n,
      // A failed shard is never started again: its messages would be published twice.
      backoffLimit: 0,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          subdomain: shardJob,
          containers: [
            {
              name: 'shard',
              image: opts.image,
              args: runArgs,
              env: [
                {
                  name: 'MQSCEN_RUN_ID',
                  valueFrom: {
                    fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/controller-uid']" },
                  },
                },
              ],
              volumeMounts: [mount],
            },
          ],
          volumes: [volume],
        },
      },
    },
  };
  const waitAndMerge = [
    `end=$(( $(date +%s) + ${mergeTimeout} ))`,
    `while [ "$(ls ${RESULTS}/shard-*.json 2>/dev/null | wc -l)" -lt ${n} ] && [ "$(date +%s)" -lt "$end" ]; do sleep 5; done`,
    `exec node /app/bin/mqscen.js merge ${RESULTS}/shard-*.json --junit ${RESULTS}/merged/junit.xml --json ${RESULTS}/merged/results.json --html ${RESULTS}/merged/report.html`,
  ].join('\n');
  const merge: K8sObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `${name}-merge`, ...ns, labels },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: mergeTimeout + 600,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'merge',
              image: opts.image,
              command: ['/bin/sh', '-c'],
              args: [waitAndMerge],
              volumeMounts: [mount],
            },
          ],
          volumes: [volume],
        },
      },
    },
  };
  return [pvc, service, job, merge];
}

export function k8sJobCommand(files: string[], opts: K8sJobOptions): number {
  const objects = buildK8sJob(files.length === 0 ? ['scenarios/*.yaml'] : files, opts);
  process.stdout.write(
    objects.map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n'),
  );
  return 0;
}
