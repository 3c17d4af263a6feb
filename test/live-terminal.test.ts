/**
 * The live view in a real pseudo-terminal (`script` from util-linux), as a person runs
 * `mqscen run` in a terminal: the transcript is replayed into a virtual screen frame by frame
 * (a frame ends with each synchronized update the renderer writes). Pins each defect the
 * live view had: a green ✔ title on a failed scenario, the screen emptied at scenario boundaries,
 * a verdict drawn while assertions were still pending, the `at file:line:col` line dropped, no
 * progress on a burst with a known count.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { createVirtualTerminal } from './virtual-terminal.js';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin', 'mqscen.js');
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const skip = hasScript ? false : 'script (util-linux) not installed; CI installs it';

const PACED = `name: paced burst
clients:
  sub:
    subscriptions:
      - { filter: "paced/#", qos: 1 }
  pub: {}
steps:
  - connect: all
  - publish: { from: pub, topic: paced/1, count: 30, qos: 1, rate: 25/s }
  - settle: { timeout: 5s }
expect:
  - no-loss: {}
  - received: { clients: sub, count: 30 }
`;

const FAILING = `name: wrong count
clients:
  sub:
    subscriptions:
      - { filter: "wrong/#", qos: 1 }
  pub: {}
steps:
  - connect: all
  - publish: { from: pub, topic: wrong/1, count: 5, qos: 1 }
  - settle: { timeout: 5s }
expect:
  - no-loss: {}
  - received: { clients: sub, count: 6 }
`;

const WAITING = `name: long wait
clients:
  a: {}
steps:
  - connect: all
  - wait: 30s
expect:
  - no-loss: {}
`;

// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the sequences a terminal receives
const plain = (text: string) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');

/**
 * Runs mqscen in a pseudo-terminal; with `interruptWhen`, types Ctrl+C (the terminal sends
 * SIGINT to the foreground process) once the screen's text matches it.
 */
function inTerminal(args: string[], cwd: string, timeoutMs = 60_000, interruptWhen?: RegExp) {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
  delete env['CI'];
  delete env['NO_COLOR'];
  // A terminal of a person's size (a pseudo-terminal under a pipe has none).
  const command = `stty cols 120 rows 40; ${[process.execPath, bin, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ')}`;
  return new Promise<{ code: number | null; transcript: string }>((res, rej) => {
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
      cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let transcript = '';
    let typed = false;
    child.stdout.on('data', (d: Buffer) => {
      transcript += d.toString();
      if (interruptWhen !== undefined && !typed && interruptWhen.test(plain(transcript))) {
        typed = true;
        child.stdin.write('\u0003');
      }
    });
    child.stderr.resume();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`mqscen in a terminal did not finish:\n${transcript}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, transcript });
    });
  });
}

test('live view in a pseudo-terminal: verdict colours, in-place frames, final results, location, progress', {
  skip,
  timeout: 90_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-pty-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'a-paced.yaml'), PACED);
  writeFileSync(join(dir, 'b-failing.yaml'), FAILING);
  const r = await inTerminal(
    ['run', 'a-paced.yaml', 'b-failing.yaml', '--reporter', 'live', '--no-junit', '--no-json', '--no-html'],
    dir,
  );
  assert.equal(r.code, 1, r.transcript);
  const text = r.transcript;

  // Frames: the screen after each redraw, i.e. at the end of each synchronized update (DEC mode
  // 2026), which a terminal shows at once.
  const vt = createVirtualTerminal();
  const frames: string[][] = [];
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the sequences a terminal receives
  for (const chunk of text.split(/(?<=\u001b\[\?2026l)/)) {
    vt.feed(chunk);
    frames.push(vt.lines());
  }
  assert.ok(frames.length > 10, `the view was redrawn in place (${frames.length} frames)`);
  assert.equal(vt.erasedDisplay, 0, 'nothing erased the screen');

  // 1. Title colour and symbol follow the verdict.
  assert.ok(text.includes('\u001b[32m✔ paced burst — passed in'), 'passed: green ✔');
  assert.ok(text.includes('\u001b[31m✖ wrong count — failed (1 of 2 assertions)'), 'failed: red ✖');
  for (const frame of frames) {
    for (const line of frame) {
      if (line.includes('wrong count —')) assert.ok(!line.includes('✔'), `no ✔ on the failed title: ${line}`);
    }
  }
  // 2. No flicker: the screen never loses lines, at boundaries or anywhere else.
  let height = 0;
  for (const [i, frame] of frames.entries()) {
    const h = frame.filter((l) => l.trim() !== '').length;
    assert.ok(h >= height, `frame ${i} dropped from ${height} to ${h} lines:\n${frame.join('\n')}`);
    height = h;
  }
  // 3. A verdict only with the results: never beside the pending-assertions line of its block.
  for (const frame of frames) {
    let verdict = false;
    for (const line of frame) {
      if (/^(▶|✔|✖|■) /.test(line)) verdict = /— (passed|failed|errored|interrupted)/.test(line);
      if (verdict) assert.doesNotMatch(line, /assertions are evaluated after the steps/, frame.join('\n'));
    }
  }
  const screen = (frames.at(-1) ?? []).join('\n');
  // 4. The location of the failed assertion is kept.
  assert.match(screen, /✖ received sub == 6 — expected .* \/ got 5 messages\n\s+at b-failing\.yaml:13:5/);
  // 5. The paced burst (30 messages at 25/s) showed its percentage and an ETA while it ran.
  assert.ok(
    frames.some((f) => f.some((l) => /publish 30 × QoS1 pub → paced\/1 .*\d+% \(\d+\/30\) · ETA/.test(l))),
    'a percentage and an ETA on the burst',
  );
  assert.match(screen, /1 passed, 1 failed \(2 scenarios\)/);
});

test('live view in a pseudo-terminal: Ctrl+C while listr2 draws stops the run cleanly and writes the reports', {
  skip,
  timeout: 90_000,
}, async (t) => {
  // listr2's renderer loads signal-exit (through log-update and restore-cursor), which would kill
  // the process at the first Ctrl+C, before any report is written, if the view did not keep it.
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-pty-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'wait.yaml'), WAITING);
  const r = await inTerminal(
    ['run', 'wait.yaml', '--reporter', 'live', '--no-junit', '--json', 'out.json', '--no-html'],
    dir,
    60_000,
    /wait 30s +\d/,
  );
  assert.equal(r.code, 130, r.transcript);
  assert.ok(existsSync(join(dir, 'out.json')), 'the JSON report was written after Ctrl+C');
  const vt = createVirtualTerminal();
  vt.feed(r.transcript);
  const screen = vt.lines().join('\n');
  assert.match(screen, /■ long wait — interrupted/);
  assert.match(screen, /■ \[2\] wait 30s .*interrupted/);
  assert.match(screen, /0 passed, 0 failed, 1 interrupted \(1 scenario\).*run interrupted/);
  assert.ok(
    r.transcript.lastIndexOf('\u001b[?25h') > r.transcript.lastIndexOf('\u001b[?25l'),
    'cursor shown',
  );
});
