/** Writing a report file: folder created when missing, never half-written. Internal to runner/reporters. */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export async function writeReportFile(file: string, text: string): Promise<void> {
  const path = resolve(file);
  await mkdir(dirname(path), { recursive: true });
  // Write then rename, so a CI step reading the file (or a second Ctrl+C) never sees half of it.
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text, 'utf8');
  await rename(temp, path);
}
