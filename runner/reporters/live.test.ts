/**
 * The live view, drawn into a capture stream that claims to be a terminal and replayed into a
 * virtual screen after every write, so each frame a person would see can be checked: the verdict
 * colour and symbol, no blank frames at boundaries, no verdict before the results, the location
 * line, progress of a burst. test/live-terminal.test.ts checks the same through a real
 * pseudo-terminal.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { type TestContext, test } from 'node:test';
import { type RunEvent, recordedRun, replay } from '../../test/fixtures/reporters/run-events.js';
import { createVirtualTerminal } from '../../test/virtual-terminal.js';
import type { ScenarioResult } from '../results.js';
import { createLiveReporter } from './live.js';
import type { ScenarioStartInfo } from './reporter.js';

const HIDE = '\u001b[?25l';
const SHOW = '\u001b[?25h';
const RED = '\u001b[31m';
const GREEN = '\u001b[32m';

interface Term {
  stream: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  text(): string;
  /** The screen after each write, as lines without colours. */
  frames: string[][];
}

function fakeTerminal(t: TestContext, isTTY: boolean): Term {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 200 });
  const vt = createVirtualTerminal();
  const frames: string[][] = [];
  let text = '';
  stream.on('data', (d: Buffer) => {
    const s = d.toString();
    text += s;
    vt.feed(s);
    frames.push(vt.lines());
  });
  const err = Object.assign(new PassThrough(), { isTTY: false });
  err.resume();
  t.after(() => stream.destroy());
  return {
    stream: stream as unknown as NodeJS.WriteStream,
    err: err as unknown as NodeJS.WriteStream,
    text: () => text,
    frames,
  };
}

/** Without colour codes, for matching what a person reads. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the sequences a terminal receives
const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');
const tick = () => new Promise((r) => setImmediate(r));
const last = recordedRun.at(-1);
assert.ok(last?.type === 'runEnd');
const end = last;
const failedResult = end.summary.scenarios[1] as ScenarioResult;

async function run(t: TestContext, events: readonly RunEvent[]) {
  const term = fakeTerminal(t, true);
  const reporter = createLiveReporter({ stream: term.stream, errorStream: term.err, env: {} });
  t.after(() => reporter.onRunEnd?.(end.summary, 'interrupted'));
  await replay(reporter, events);
  await tick();
  return term;
}

test('live: the title of a failed scenario is a red ✖, never a green ✔; the location line is kept', async (t) => {
  const term = await run(t, recordedRun);
  const text = term.text();
  const titleLine = text.split('\n').find((l) => l.includes('QoS 0 to an offline persistent subscriber —'));
  assert.ok(titleLine !== undefined, text);
  assert.ok(
    titleLine.includes(`${RED}✖ QoS 0 to an offline persistent subscriber — failed`),
    JSON.stringify(titleLine),
  );
  assert.ok(!titleLine.includes('✔'), 'no ✔ on a failed title');
  assert.match(
    text,
    /✖.* no-loss — expected every message published while subscriber was offline reaches it after reconnect \/ got 3 lost/,
  );
  assert.match(text, /at scenarios\/qos\/offline-qos0\.yaml:21:5/);
  assert.ok(
    text.includes(`${GREEN}✔ shared-subscription message queuing — passed in`),
    'a passed title is green ✔',
  );
  assert.match(text, /1 passed, 1 failed, 1 interrupted \(3 scenarios\) in 5\.3s, run interrupted/);
  assert.ok(
    text.includes(HIDE) && text.lastIndexOf(SHOW) > text.lastIndexOf(HIDE),
    'the cursor is shown at the end',
  );
});

test('live: an errored scenario’s not-evaluated assertions are never a green ✔', async (t) => {
  const errored: ScenarioResult = {
    ...failedResult,
    status: 'errored',
    error: { code: 'E_TRANSPORT', message: 'connect refused' },
    assertions: failedResult.assertions.map((a) => ({
      ...a,
      status: 'skipped',
      skipReason: 'not evaluated: the scenario did not run to its end',
    })),
  };
  const info: ScenarioStartInfo = { file: errored.file, name: errored.name, steps: [] };
  const term = await run(t, [
    { type: 'scenarioStart', info },
    { type: 'scenarioEnd', result: errored },
  ]);
  const lines = term.text().split('\n');
  const header = lines.find((l) => l.includes('assertions:'));
  assert.ok(header !== undefined);
  assert.ok(!header.includes('✔') && !header.includes(GREEN), JSON.stringify(header));
  assert.match(header, /assertions: 0 passed, 2 not evaluated/);
  const title = lines.find((l) => l.includes(`${errored.name} —`));
  assert.ok(title?.includes(`${RED}■ ${errored.name} — errored: connect refused`), JSON.stringify(title));
  assert.ok(lines.filter((l) => l.includes('not evaluated')).every((l) => !l.includes('✔')));
});

test('live: no frame is blank or shorter at scenario boundaries; nothing is erased whole', async (t) => {
  const term = await run(t, recordedRun);
  let before = 0;
  for (const [i, frame] of term.frames.entries()) {
    const height = frame.filter((l) => l.trim() !== '').length;
    assert.ok(height >= before, `frame ${i} dropped from ${before} to ${height} lines:\n${frame.join('\n')}`);
    before = height;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the sequences a terminal receives
  assert.doesNotMatch(term.text(), /\u001b\[[0-2]?J/, 'no erase-display sequence');
});

test('live: a verdict is only shown together with every assertion result', async (t) => {
  const term = await run(t, recordedRun);
  for (const frame of term.frames) {
    // Within one scenario's block (from a title line to the next), a verdict title and the
    // "assertions are evaluated after the steps" placeholder never appear together.
    let verdict = false;
    for (const line of frame) {
      if (/^(▶|✔|✖|■) /.test(line)) verdict = /— (passed|failed|errored|interrupted)/.test(line);
      if (verdict) assert.doesNotMatch(line, /assertions are evaluated after the steps/, frame.join('\n'));
    }
  }
  const last = term.frames.at(-1) ?? [];
  const i = last.findIndex((l) => l.startsWith('✖ QoS 0 to an offline persistent subscriber'));
  assert.ok(i >= 0);
  assert.match(last.slice(i).join('\n'), /assertions: 1 passed, 1 failed[\s\S]*✔ ordered per publisher/);
});

test('live: a burst with a known count shows its percentage and an ETA while it runs', async (t) => {
  const info: ScenarioStartInfo = {
    file: 'scenarios/burst.yaml',
    name: 'burst',
    steps: [{ ref: 1, kind: 'publish', label: 'publish 20 × QoS1 publisher → t', publishes: 20 }],
  };
  const term = fakeTerminal(t, true);
  const reporter = createLiveReporter({ stream: term.stream, errorStream: term.err, env: {}, refreshMs: 10 });
  t.after(() => reporter.onRunEnd?.(end.summary, 'interrupted'));
  await replay(reporter, [
    { type: 'scenarioStart', info },
    { type: 'stepStart', scenario: info, step: info.steps[0] as ScenarioStartInfo['steps'][number] },
  ]);
  await new Promise((r) => setTimeout(r, 30));
  reporter.onStepProgress?.(
    info,
    { ref: 1 },
    { published: 9, acked: 8, received: 7, duplicates: 0, pending: 2 },
  );
  const deadline = Date.now() + 5000;
  while (!/45% \(9\/20\)/.test(term.text()) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  const line = (term.frames.at(-1) ?? []).find((l) => l.includes('publish 20'));
  assert.match(line ?? '', /45% \(9\/20\) · ETA \d+ms · published 9 · acked 8 · received 7 · pending 2/);
});

test('live: a fleet connect shows connected, refused and connecting while it runs', async (t) => {
  const info: ScenarioStartInfo = {
    file: 'scenarios/fleet.yaml',
    name: 'fleet',
    steps: [{ ref: 1, kind: 'connect', label: 'connect all' }],
  };
  const term = fakeTerminal(t, true);
  const reporter = createLiveReporter({ stream: term.stream, errorStream: term.err, env: {}, refreshMs: 10 });
  t.after(() => reporter.onRunEnd?.(end.summary, 'interrupted'));
  await replay(reporter, [
    { type: 'scenarioStart', info },
    { type: 'stepStart', scenario: info, step: info.steps[0] as ScenarioStartInfo['steps'][number] },
  ]);
  reporter.onStepProgress?.(
    info,
    { ref: 1 },
    {
      published: 0,
      acked: 0,
      received: 0,
      duplicates: 0,
      pending: 0,
      connects: { total: 2000, connected: 1200, refused: 3, pending: 797 },
    },
  );
  const deadline = Date.now() + 5000;
  while (!/connected 1,200\/2,000/.test(term.text()) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  const line = (term.frames.at(-1) ?? []).find((l) => l.includes('connect all'));
  assert.match(line ?? '', /\[1\] connect all .*connected 1,200\/2,000 · refused 3 · connecting 797/);
});

test('live: without a terminal only the final blocks are written, with no cursor control', async (t) => {
  const term = fakeTerminal(t, false);
  await replay(createLiveReporter({ stream: term.stream, errorStream: term.err, env: {} }), recordedRun);
  const text = term.text();
  assert.ok(!text.includes(HIDE) && !text.includes('\u001b[1F'), 'no cursor control');
  assert.match(text, /✔ \[1\] connect all/);
  assert.doesNotMatch(text, /assertions are evaluated after the steps/);
  assert.match(text, /1 passed, 1 failed, 1 interrupted \(3 scenarios\)/);
});

test('live: a scenario that never reports its end is closed before the next one is drawn', async (t) => {
  const firstEnd = recordedRun.findIndex((e) => e.type === 'scenarioEnd');
  const term = await run(t, [...recordedRun.slice(0, firstEnd), ...recordedRun.slice(firstEnd + 1)]);
  const text = term.text();
  assert.match(text, /■ shared-subscription message queuing — never reported its end/);
  assert.match(text, /✖ QoS 0 to an offline persistent subscriber — failed/);
});

test('live: Ctrl+C in the middle of a step closes the view and leaves the cursor visible', async (t) => {
  const cut = recordedRun.findIndex((e) => e.type === 'stepStart' && e.step.label === 'wait 60s');
  const term = await run(t, [
    ...recordedRun.slice(0, cut + 1),
    { type: 'runEnd', summary: end.summary, reason: 'interrupted' },
  ]);
  const text = term.text();
  assert.match(plain(text), /■ will on abrupt disconnect — interrupted/);
  assert.match(plain(text), /■ \[2\] wait 60s {2}interrupted/);
  assert.match(plain(text), /assertions not evaluated: the scenario did not finish/);
  assert.ok(
    text.endsWith(SHOW),
    `the last thing written shows the cursor: ${JSON.stringify(text.slice(-80))}`,
  );
});
