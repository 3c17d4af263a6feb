/**
 * `mqscen completion bash|zsh`: prints a shell completion script, built from the commands and
 * options the CLI declares, so it never lags behind them. Install: `mqscen completion bash >
 * ~/.local/share/bash-completion/completions/mqscen`, or for zsh into a folder on `$fpath` as `_mqscen`.
 */
import { EXIT_CODES, UsageError } from '../errors.js';

export interface CompletionCommand {
  name: string;
  description: string;
  options: Array<{ flag: string; description: string; takesValue: boolean }>;
  subcommands: CompletionCommand[];
}

export function completionCommand(shell: string, commands: readonly CompletionCommand[]): number {
  if (shell === 'bash') process.stdout.write(bashScript(commands));
  else if (shell === 'zsh') process.stdout.write(zshScript(commands));
  else
    throw new UsageError(`no completion for shell "${shell}"`, {
      hint: 'use mqscen completion bash or mqscen completion zsh',
    });
  return EXIT_CODES.passed;
}

export function bashScript(commands: readonly CompletionCommand[]): string {
  const cases = commands
    .map((c) => {
      const subs = c.subcommands.map((s) => s.name);
      const opts = [...c.options.map((o) => o.flag), ...subs, '--help'];
      const nested = c.subcommands
        .map((s) => `        ${s.name}) opts="${[...s.options.map((o) => o.flag), '--help'].join(' ')}" ;;`)
        .join('\n');
      return nested === ''
        ? `    ${c.name}) opts="${opts.join(' ')}" ;;`
        : `    ${c.name})\n      case "\${COMP_WORDS[2]}" in\n${nested}\n        *) opts="${subs.join(' ')}"; files=0 ;;\n      esac ;;`;
    })
    .join('\n');
  return `# mqscen bash completion (mqscen completion bash)
_mqscen() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  local opts=""
  local files=1
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${commands.map((c) => c.name).join(' ')} --help --version" -- "$cur") )
    return 0
  fi
  case "\${COMP_WORDS[1]}" in
${cases}
  esac
  if [[ "$cur" == -* || "$files" == 0 ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
  else
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") $(compgen -f -- "$cur") )
  fi
  return 0
}
complete -o filenames -F _mqscen mqscen
`;
}

export function zshScript(commands: readonly CompletionCommand[]): string {
  const q = (s: string) => s.replace(/'/g, "'\\''").replace(/[[\]:]/g, (m) => `\\${m}`);
  const args = (c: CompletionCommand) =>
    c.options
      .map((o) => `'${o.flag}[${q(o.description)}]${o.takesValue ? ':value:_files' : ''}'`)
      .join(' \\\n        ');
  const cases = commands
    .map((c) => {
      if (c.subcommands.length > 0) {
        const list = c.subcommands.map((s) => `'${s.name}:${q(s.description)}'`).join(' ');
        return `    ${c.name})\n      if (( CURRENT == 3 )); then\n        local -a subs; subs=(${list}); _describe 'command' subs\n      else\n        _files\n      fi ;;`;
      }
      return `    ${c.name})\n      _arguments \\\n        ${args(c) || "'--help[show help]'"} \\\n        '*:file:_files' ;;`;
    })
    .join('\n');
  return `#compdef mqscen
# mqscen zsh completion (mqscen completion zsh > "\${fpath[1]}/_mqscen")
_mqscen() {
  local -a commands
  commands=(${commands.map((c) => `'${c.name}:${q(c.description)}'`).join(' ')})
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  case "$words[2]" in
${cases}
  esac
}
if [[ "$funcstack[1]" = "_mqscen" ]]; then _mqscen "$@"; else compdef _mqscen mqscen; fi
`;
}
