/**
 * Bad input at the file level: each case gives one issue with the exact file:line:column and a
 * message that says how to fix it. Fixtures are written into a temp dir per test.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatIssue } from '../errors.js';
import { loadScenario } from './index.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mqscen-load-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function problems(file: string): Promise<string[]> {
  const result = await loadScenario(file, { env: {} });
  assert.equal(result.ok, false, 'the file must be refused');
  return result.ok ? [] : result.issues.map(formatIssue);
}

const GOOD = `name: ok
clients:
  a: {}
steps:
  - connect: a
`;

test('a missing file is one issue naming the path', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'nope.yaml');
  assert.deepEqual(await problems(file), [`${file}  file not found; check the path`]);
});

test('a directory is refused with a hint', async (t) => {
  const dir = await tempDir(t);
  const [line] = await problems(dir);
  assert.match(line ?? '', /is a directory, not a scenario file; give a \.yaml file/);
  assert.ok(line?.startsWith(`${dir}  `));
});

test('an empty file and a comment-only file are refused', async (t) => {
  const dir = await tempDir(t);
  for (const [name, text] of [
    ['empty.yaml', ''],
    ['comments.yaml', '# nothing here\n\n'],
  ]) {
    const file = join(dir, name as string);
    await writeFile(file, text as string);
    assert.deepEqual(await problems(file), [
      `${file}  is empty; a scenario needs at least \`name\`, \`clients\` and \`steps\``,
    ]);
  }
});

test('binary junk (NUL bytes) is refused at the first NUL', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'junk.yaml');
  await writeFile(file, Buffer.concat([Buffer.from('name: x\nab'), Buffer.from([0, 1, 2, 0xff])]));
  assert.deepEqual(await problems(file), [
    `${file}:2:3  contains NUL bytes: this is a binary file, not a YAML scenario file`,
  ]);
});

test('invalid UTF-8 is refused at the offending byte, counted in characters', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'latin1.yaml');
  // "é" is two bytes in UTF-8 and counts as one column; 0xe9 alone is Latin-1 "é".
  await writeFile(
    file,
    Buffer.concat([Buffer.from('name: x\ndescription: caf\u00e9 '), Buffer.from([0xe9, 0x0a])]),
  );
  assert.deepEqual(await problems(file), [
    `${file}:2:19  is not valid UTF-8 (byte 0xe9); save the file as UTF-8`,
  ]);
});

test('a file over 1 MiB is refused before it is read', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'huge.yaml');
  await writeFile(file, `${GOOD}description: "${'x'.repeat(1024 * 1024)}"\n`);
  const [line] = await problems(file);
  assert.equal(
    line,
    `${file}  is 1.0 MiB; scenario files are limited to 1 MiB (is this really a scenario file?)`,
  );
});

test('several YAML documents are refused at the second one', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'two.yaml');
  await writeFile(file, `${GOOD}---\n${GOOD}`);
  assert.deepEqual(await problems(file), [
    `${file}:6:1  holds 2 YAML documents (separated by \`---\`); put one scenario per file`,
  ]);
});

test('every duplicate key is reported with its name and position', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'dup.yaml');
  await writeFile(file, `name: a\nclients:\n  a: {}\n  a: {}\nsteps:\n  - connect: a\nname: b\n`);
  assert.deepEqual(await problems(file), [
    `${file}:4:3  duplicate key "a": each key may appear once in a mapping; remove or rename one`,
    `${file}:7:1  duplicate key "name": each key may appear once in a mapping; remove or rename one`,
  ]);
});

test('a YAML syntax error is reported once, at its position, without the echoes that follow', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'syntax.yaml');
  await writeFile(file, `name: x\nclients:\n  a: { count: 2\nsteps:\n  - connect: a\n  - wait: 1s\n`);
  assert.deepEqual(await problems(file), [
    `${file}:4:1  YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }`,
  ]);
});

test('tabs used for indentation get a plain explanation', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'tabs.yaml');
  await writeFile(file, 'name: x\nclients:\n\ta: {}\n');
  assert.deepEqual(await problems(file), [
    `${file}:3:1  YAML syntax error: tabs cannot be used for indentation; indent with spaces`,
  ]);
});

test('an unquoted instance reference inside { } gets the quoting hint', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'flow.yaml');
  await writeFile(
    file,
    'name: x\nclients:\n  s: { count: 2 }\nsteps:\n  - connect: all\n  - disconnect: { clients: s[2], how: abrupt }\n',
  );
  const [line] = await problems(file);
  assert.match(
    line ?? '',
    /:6:29 {2}YAML syntax error: .*; inside \{ \} or \[ \], quote client references that use brackets: "s\[2\]"$/,
  );
});

test('a UTF-8 byte order mark is accepted', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'bom.yaml');
  await writeFile(file, `\ufeff${GOOD}`);
  const result = await loadScenario(file, { env: {} });
  assert.equal(result.ok, true, result.ok ? '' : result.issues.map(formatIssue).join('\n'));
});
