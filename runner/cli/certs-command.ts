/** `mqscen certs`: the local CA and server certificate (created once, then reused), and device certificates. */
import { EXIT_CODES } from '../errors.js';

export async function certsCommand(opts: { dir: string; issue?: string }): Promise<number> {
  const { ensureCertificates, issueClientCertificate } = await import('../../broker/certs.js');
  const set = await ensureCertificates(opts.dir);
  process.stdout.write(`CA certificate:     ${set.paths.caCert}\n`);
  process.stdout.write(`server certificate: ${set.paths.serverCert} (localhost, 127.0.0.1)\n`);
  process.stdout.write(`server key:         ${set.paths.serverKey}\n`);
  if (opts.issue) {
    const device = await issueClientCertificate(set, { commonName: opts.issue });
    process.stdout.write(`device certificate: ${device.paths.cert} (CN=${opts.issue})\n`);
    process.stdout.write(`device key:         ${device.paths.key}\n`);
  }
  return EXIT_CODES.passed;
}
