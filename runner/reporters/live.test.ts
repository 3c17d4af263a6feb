/**
 * The live view with listr2's in-place renderer. listr2 decides between its renderers from
 * process.stdout.isTTY, so these tests set it (this file runs in its own process) and draw into a
 * capture stream that claims to be a terminal.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { type TestContext, test } from 'node:test';
import { type RunEvent, recordedRun, replay } from '../../test/fixtures/reporters/run-events.js';
import { createLiveReporter } from './live.js';
import type { Reporter } from './reporter.js';

const HIDE = '\u001b[?25l';
const SHOW = '\u001b[?25h';

function fakeTerminal(
  t: TestContext,
  isTTY: boolean,
): { stream: NodeJS.WriteStream; err: NodeJS.WriteStream; text(): string } {
  const saved = process.stdout.isTTY;
  process.stdout.isTTY = isTTY;
  t.after(() => {
    process.stdout.isTTY = saved;
  });
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 120 });
  let text = '';
  stream.on('data', (d: Buffer) => {
    text += d.toString();
  });
  const err = Object.assign(new PassThrough(), { isTTY });
  err.resume();
  return {
    stream: stream as unknown as NodeJS.WriteStream,
    err: err as unknown as NodeJS.WriteStream,
    text: () => text,
  };
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `text()` matches, at most `ms`: listr2 redraws on its own timer. */
async function waitForMatch(text: () => string, re: RegExp, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!re.test(text())) {
    if (Date.now() > deadline) assert.fail(`no ${re} within ${ms} ms in:\n${text()}`);
    await delay(25);
  }
}

const endOfRun = recordedRun.at(-1);
assert.ok(endOfRun?.type === 'runEnd');
/** Teardown: a view left open by a failed assertion keeps listr2's redraw timer (and the process) alive. */
function closeOnTeardown(t: TestContext, reporter: Reporter): void {
  t.after(async () => {
    if (endOfRun?.type === 'runEnd') await reporter.onRunEnd?.(endOfRun.summary, 'interrupted');
  });
}

test('live: shows running counters, step notes and assertion results on a terminal', {
  timeout: 30_000,
}, async (t) => {
  const term = fakeTerminal(t, true);
  const reporter = createLiveReporter({ stream: term.stream, errorStream: term.err });
  closeOnTeardown(t, reporter);
  // Stop right after the progress event of the publish step of the first scenario.
  const cut = recordedRun.findIndex((e) => e.type === 'stepProgress' && e.step.ref === 2);
  await replay(reporter, recordedRun.slice(0, cut + 1));
  await waitForMatch(term.text, /published 20 · acked 20 · received 9 · pending 2/);
  assert.ok(term.text().includes(HIDE), 'the cursor is hidden while drawing');
  await replay(reporter, recordedRun.slice(cut + 1));
  const text = term.text();
  assert.match(text, /sessionPresent=false/);
  assert.match(text, /✖.*no-loss/);
  // listr2 wraps long lines to the terminal width.
  const flat = text.replace(/\s+/g, ' ');
  assert.match(
    flat,
    /expected every message published while subscriber was offline reaches it after reconnect \/ got 3 lost: publisher#1..#3 \(expected by subscriber\)/,
  );
  assert.match(text, /1 passed, 1 failed, 1 interrupted \(3 scenarios\) in 5\.3s, run interrupted/);
  assert.ok(text.lastIndexOf(SHOW) > text.lastIndexOf(HIDE), 'the cursor is visible at the end');
});

test('live: Ctrl+C in the middle of a step closes the view and leaves the cursor visible', {
  timeout: 30_000,
}, async (t) => {
  const term = fakeTerminal(t, true);
  const reporter = createLiveReporter({ stream: term.stream, errorStream: term.err, drainTimeoutMs: 3000 });
  closeOnTeardown(t, reporter);
  const cut = recordedRun.findIndex((e) => e.type === 'stepStart' && e.step.label === 'wait 60s');
  await replay(reporter, recordedRun.slice(0, cut + 1));
  await delay(200);
  const end = recordedRun.at(-1);
  assert.ok(end?.type === 'runEnd');
  const started = Date.now();
  await replay(reporter, [
    { type: 'runEnd', summary: end.summary, reason: 'interrupted' } satisfies RunEvent,
  ]);
  assert.ok(Date.now() - started < 3000, 'closing the view is bounded');
  const text = term.text();
  assert.match(text, /will on abrupt disconnect.*— interrupted/);
  assert.match(text, /✖.* \[2\] wait 60s.*\n\s+› interrupted/);
  assert.ok(
    text.endsWith(SHOW),
    `the last thing written shows the cursor: ${JSON.stringify(text.slice(-80))}`,
  );
});

test('live: without a terminal it falls back to line output, with no cursor control', {
  timeout: 30_000,
}, async (t) => {
  const term = fakeTerminal(t, false);
  await replay(createLiveReporter({ stream: term.stream, errorStream: term.err }), recordedRun);
  const text = term.text();
  assert.ok(!text.includes(HIDE), 'no cursor hiding');
  assert.match(text, /✔ \[1\] connect all/);
  assert.match(text, /1 passed, 1 failed, 1 interrupted \(3 scenarios\)/);
});

test('live: a scenario that never reports its end does not block the next one', {
  timeout: 30_000,
}, async (t) => {
  const term = fakeTerminal(t, true);
  const reporter = createLiveReporter({ stream: term.stream, errorStream: term.err, drainTimeoutMs: 3000 });
  closeOnTeardown(t, reporter);
  // The first scenario's onScenarioEnd is missing; the rest of the run follows.
  const firstEnd = recordedRun.findIndex((e) => e.type === 'scenarioEnd');
  await replay(reporter, [...recordedRun.slice(0, firstEnd), ...recordedRun.slice(firstEnd + 1)]);
  const text = term.text();
  assert.match(text, /shared-subscription message queuing.*— never reported its end/);
  assert.match(text, /QoS 0 to an offline persistent subscriber.*— failed/);
  assert.ok(!text.includes('already hijacked'), 'listr2 drew one list at a time');
});

test('live: the first Ctrl+C goes to its owner, not to the terminal library, while the view is drawn', {
  timeout: 30_000,
}, async (t) => {
  const term = fakeTerminal(t, true);
  let owned = 0;
  const owner = () => {
    owned += 1;
  };
  // cli-cursor (under listr2's renderer) only loads signal-exit when stderr is a terminal.
  const stderrTTY = process.stderr.isTTY;
  process.stderr.isTTY = true;
  t.after(() => {
    process.stderr.isTTY = stderrTTY;
  });
  // Alone with the CLI's handler as in the real process (the test runner may listen too).
  const others = process.listeners('SIGINT');
  process.removeAllListeners('SIGINT');
  t.after(() => {
    for (const l of others) process.on('SIGINT', l);
  });
  // The CLI's handler: `once`, so Node removes it before calling it.
  process.once('SIGINT', owner);
  t.after(() => process.removeListener('SIGINT', owner));
  const reporter = createLiveReporter({ stream: term.stream, errorStream: term.err });
  closeOnTeardown(t, reporter);
  const cut = recordedRun.findIndex((e) => e.type === 'stepStart' && e.step.label === 'wait 60s');
  await replay(reporter, recordedRun.slice(0, cut + 1));
  await waitForMatch(term.text, /wait 60s/);
  // Without the guard, signal-exit (loaded by the renderer) would now kill this very process.
  process.kill(process.pid, 'SIGINT');
  const deadline = Date.now() + 5000;
  while (owned === 0 && Date.now() < deadline) await delay(20);
  await delay(200);
  assert.equal(owned, 1, 'the owner saw the Ctrl+C');
  assert.ok(endOfRun?.type === 'runEnd');
  await replay(reporter, [{ type: 'runEnd', summary: endOfRun.summary, reason: 'interrupted' }]);
  assert.ok(
    process.listeners('SIGINT').every((l) => l !== owner && !String(l).includes('presses')),
    'the guard is gone after the run',
  );
});
