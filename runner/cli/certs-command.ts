/** `mqscen certs`: the local CA and server certificate (created once, then reused), and device certificates. */
import { EXIT_CODES } from '../errors.js';

export async function certsCommand(opts: { dir: string; issue?: string }): Promise<number> {
  const { runCertsCommand } = await import('../../broker/certs.js');
  const result = await runCertsCommand({
    dir: opts.dir,
    ...(opts.issue === undefined ? {} : { issue: opts.issue }),
  });
  process.stdout.write(`CA certificate:     ${result.paths.caCert}\n`);
  process.stdout.write(`server certificate: ${result.paths.serverCert} (localhost, 127.0.0.1)\n`);
  process.stdout.write(`server key:         ${result.paths.serverKey}\n`);
  if (result.issued) {
    process.stdout.write(`device certificate: ${result.issued.cert} (CN=${result.issued.commonName})\n`);
    process.stdout.write(`device key:         ${result.issued.key}\n`);
  }
  return EXIT_CODES.passed;
}
