import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { bashScript, type CompletionCommand, zshScript } from './completion-command.js';

const commands: CompletionCommand[] = [
  {
    name: 'run',
    description: 'run scenarios',
    options: [
      { flag: '--target', description: 'target', takesValue: true },
      { flag: '--bail', description: 'stop [early]', takesValue: false },
    ],
    subcommands: [],
  },
  { name: 'report', description: "render a run's report", options: [], subcommands: [] },
  {
    name: 'aws',
    description: 'AWS helpers',
    options: [],
    subcommands: [
      {
        name: 'provision',
        description: 'create a thing',
        options: [{ flag: '--dry-run', description: 'dry', takesValue: false }],
        subcommands: [],
      },
    ],
  },
];

function complete(words: string[]): string[] {
  const script = `${bashScript(commands)}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _mqscen; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', cwd: '/' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

test('bash completion: commands, then the options of the command, then subcommands', () => {
  assert.deepEqual(complete(['mqscen', 'r']).sort(), ['report', 'run']);
  assert.deepEqual(complete(['mqscen', 'run', '--']).sort(), ['--bail', '--help', '--target']);
  assert.deepEqual(complete(['mqscen', 'aws', 'pr']), ['provision']);
  assert.deepEqual(complete(['mqscen', 'aws', 'provision', '--d']), ['--dry-run']);
});

test('zsh completion: a #compdef script with every command and escaped descriptions', (t) => {
  const text = zshScript(commands);
  assert.ok(text.startsWith('#compdef mqscen\n'));
  assert.match(text, /'run:run scenarios'/);
  assert.match(text, /'--bail\[stop \\\[early\\\]\]'/);
  assert.match(text, /'--target\[target\]:value:_files'/);
  const zsh = spawnSync('zsh', ['--version']);
  if (zsh.error !== undefined) {
    t.diagnostic('zsh not installed: syntax not checked');
    return;
  }
  const r = spawnSync('zsh', ['-n', '-c', text], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
