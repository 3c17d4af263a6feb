/** `mqscen broker`: the embedded broker on its own, for any MQTT client, until Ctrl+C. */
import { EXIT_CODES, UsageError } from '../errors.js';

export interface BrokerCommandOptions {
  profile: 'aws-iot' | 'mosquitto';
  host: string;
  port: string;
  ws?: boolean;
  wsPort?: string;
  tls?: boolean;
  tlsPort?: string;
  wssPort?: string;
  mtls?: boolean;
  certs: string;
  realistic?: boolean;
  /** ACL file (YAML/JSON) for the authorization hook: broker/acl.ts. */
  acl?: string;
  /** AWS IoT policy document(s) enforced for every client (profile aws-iot): broker/policy/. */
  policy?: string[];
  /** Broker configuration file (schemas/broker.schema.json); flags win over it. */
  config?: string;
  /** True when --profile was given on the command line (it then wins over the file's profile). */
  profileFromFlag?: boolean;
  maxKeepalive?: string;
  receiveMaximum?: string;
  maxQueued?: string;
  maxPacketSize?: string;
  connectTimeout?: string;
}

function parsePort(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`${flag} "${value}" is not a port number`, {
      hint: 'use 0..65535 (0 = any free port)',
    });
  }
  return port;
}

export async function brokerCommand(raw: Record<string, unknown>): Promise<number> {
  const { translateBrokerError } = await import('../targets/embedded.js');
  try {
    return await serve(raw);
  } catch (error) {
    throw translateBrokerError(error);
  }
}

async function serve(raw: Record<string, unknown>): Promise<number> {
  const opts = raw as unknown as BrokerCommandOptions;
  const port = parsePort('--port', opts.port) ?? 1883;
  // --ws / --tls open the listener on its conventional port unless a port is given; --mtls
  // without any TLS listener means "TLS with client certificates" on 8883.
  const wssPort = parsePort('--wss-port', opts.wssPort);
  const wsPort = parsePort('--ws-port', opts.wsPort) ?? (opts.ws ? 8080 : undefined);
  const tlsPort =
    parsePort('--tls-port', opts.tlsPort) ??
    (opts.tls || (opts.mtls && wssPort === undefined) ? 8883 : undefined);
  const { startBroker, loadAclFile, createAclAuthorizer, resolveBrokerSettings } = await import(
    '../../broker/index.js'
  );
  // Configuration file, then flags: both read (and refused with exit 2) before anything listens.
  const { loadBrokerConfig, settingsFromFlags } = await import('./broker-config.js');
  const config = opts.config === undefined ? undefined : await loadBrokerConfig(opts.config);
  const profile = (
    opts.profileFromFlag ? opts.profile : (config?.profile ?? opts.profile)
  ) as BrokerCommandOptions['profile'];
  const settings = {
    ...config?.settings,
    ...(opts.realistic ? { realistic: true } : {}),
    ...settingsFromFlags(opts as unknown as Record<string, unknown>),
  };
  resolveBrokerSettings(profile, settings);
  // Read before any listener opens: a broken file is a usage error (exit 2) that names the rule.
  const policies = opts.policy ?? [];
  if (policies.length > 0 && (profile !== 'aws-iot' || opts.acl !== undefined)) {
    throw new UsageError('--policy takes AWS IoT policies, enforced by --profile aws-iot without --acl', {
      hint: 'use --policy with the aws-iot profile, or --acl rules with the mosquitto profile',
    });
  }
  const authorize =
    policies.length > 0
      ? await policyAuthorizer(policies)
      : opts.acl === undefined
        ? undefined
        : createAclAuthorizer(await loadAclFile(opts.acl));
  let tls: { cert: string; key: string; ca: string; requireClientCert: boolean } | undefined;
  if (tlsPort !== undefined || wssPort !== undefined) {
    const { prepareCertificateFolder } = await import('./certs-command.js');
    await prepareCertificateFolder(opts.certs, '--certs');
    const { ensureCertificates } = await import('../certs.js');
    const certs = await ensureCertificates(opts.certs);
    tls = {
      cert: certs.serverCert,
      key: certs.serverKey,
      ca: certs.caCert,
      requireClientCert: Boolean(opts.mtls),
    };
    process.stdout.write(`CA certificate (trust this in clients): ${certs.paths.caCert}\n`);
  }
  const broker = await startBroker({
    profile,
    host: opts.host,
    listeners: {
      mqtt: { port },
      ...(wsPort === undefined ? {} : { ws: { port: wsPort } }),
      ...(tlsPort === undefined || !tls ? {} : { mqtts: { port: tlsPort, ...tls } }),
      ...(wssPort === undefined || !tls ? {} : { wss: { port: wssPort, ...tls } }),
    },
    settings,
    ...(authorize === undefined ? {} : { authorize }),
  });
  process.stdout.write(
    `mqscen broker (profile ${profile}${opts.config === undefined ? '' : `, config ${opts.config}`}${opts.acl === undefined ? '' : `, ACL ${opts.acl}`}${policies.length === 0 ? '' : `, policy ${policies.join(' + ')}`}) listening:\n`,
  );
  for (const [kind, url] of Object.entries(broker.urls)) {
    if (url) process.stdout.write(`  ${kind.padEnd(6)} ${url}\n`);
  }
  process.stdout.write('Ctrl+C to stop.\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write('stopping…\n');
  await broker.close();
  return EXIT_CODES.passed;
}

/** Every policy file attached to every client (POL-1); refusals logged under DEBUG=mqscen:broker:policy. */
async function policyAuthorizer(files: string[]) {
  const { createPolicyAuthorizer } = await import('../../broker/policy/index.js');
  const { loadPolicyFile } = await import('../document/policy-document.js');
  return createPolicyAuthorizer({
    attachments: { default: await Promise.all(files.map((f) => loadPolicyFile(f))), attached: [] },
  });
}
