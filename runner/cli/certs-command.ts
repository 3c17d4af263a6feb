/** `mqscen certs`: the local CA and server certificate (created once, then reused), and device certificates. */
import { EnvironmentError, EXIT_CODES } from '../errors.js';
import { createFolder } from './files.js';

/** The certificate folder, created before the certificate code touches it (see createFolder). */
export async function prepareCertificateFolder(dir: string, flag: string): Promise<void> {
  try {
    // 0700 as the certificate code itself creates it: the folder holds private keys.
    await createFolder(dir, 0o700);
  } catch (cause) {
    throw new EnvironmentError(`cannot create the certificate folder ${dir}`, {
      cause,
      hint: `choose a writable folder with ${flag} <folder>`,
    });
  }
}

export async function certsCommand(opts: { dir: string; issue?: string }): Promise<number> {
  await prepareCertificateFolder(opts.dir, '--dir');
  const { runCertsCommand } = await import('../certs.js');
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
