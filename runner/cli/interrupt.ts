/**
 * Ctrl+C (SIGINT) and SIGTERM for `mqscen run`, armed before anything else loads: bin/mqscen.js
 * imports this module first, so a press while the CLI is still loading, reading files or starting
 * the target is not lost. The first press aborts `interruptSignal` (the run stops cleanly, writes
 * its reports, exits 130); the handler is not re-armed, so a second press gets Node's default
 * (immediate exit). This module imports nothing: it must load in a few milliseconds.
 */

const controller = new AbortController();
let armed = false;

/** Aborted at the first Ctrl+C or SIGTERM once the handler is armed. */
export const interruptSignal: AbortSignal = controller.signal;

function onSignal(): void {
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  process.stderr.write(
    '\nmqscen: interrupted; closing clients and writing reports (Ctrl+C again to force)\n',
  );
  controller.abort(new Error('interrupted by Ctrl+C'));
}

/** Installs the handler (idempotent). */
export function armInterruptHandler(): void {
  if (armed) return;
  armed = true;
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // A debug line in the `debug` package's shape, written directly: loading `debug` here would
  // delay the handler. Tests use it to know the earliest moment a Ctrl+C can be caught.
  if (/(^|,)\s*mqscen:(\*|cli)(,|$)/.test(process.env['DEBUG'] ?? '')) {
    process.stderr.write('  mqscen:cli Ctrl+C handler armed\n');
  }
}

/** Removes the handler if it has not fired (the run is over; Ctrl+C now exits at once). */
export function disarmInterruptHandler(): void {
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
}
