/**
 * A minimal terminal screen for tests of in-place console output: it applies text, CR, LF and
 * the control sequences mqscen's live view may write (cursor up ESC[nF / ESC[nA, down ESC[nB,
 * column ESC[nG, erase to end of line ESC[K or the whole line ESC[2K, erase display ESC[J / ESC[2J, colours and cursor visibility, which change nothing on
 * the grid) to an unbounded grid of lines, without wrapping.
 *
 * Glossary: `feed(chunk)` applies bytes as the terminal receives them; `lines()` the screen with
 * colours removed; `erasedDisplay` counts whole-screen or to-end-of-screen erasures.
 */
export interface VirtualTerminal {
  feed(chunk: string): void;
  lines(): string[];
  readonly erasedDisplay: number;
}

export function createVirtualTerminal(): VirtualTerminal {
  const grid: string[][] = [[]];
  let row = 0;
  let col = 0;
  let erased = 0;
  const line = (): string[] => {
    while (grid.length <= row) grid.push([]);
    return grid[row] as string[];
  };
  return {
    get erasedDisplay() {
      return erased;
    },
    feed(chunk) {
      for (let i = 0; i < chunk.length; ) {
        const ch = chunk[i] as string;
        if (ch === '\u001b' && chunk[i + 1] === '[') {
          // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the sequences a terminal receives
          const m = /^\u001b\[([?0-9;]*)([A-Za-z])/.exec(chunk.slice(i));
          if (m === null) {
            i++;
            continue;
          }
          const arg = m[1] ?? '';
          const n = Number(arg.replace('?', '')) || 1;
          switch (m[2]) {
            case 'F':
              row = Math.max(0, row - n);
              col = 0;
              break;
            case 'A':
              row = Math.max(0, row - n);
              break;
            case 'B':
              row += n;
              line();
              break;
            case 'G':
              col = n - 1;
              break;
            case 'K':
              // ESC[K / ESC[0K: to the end of the line; ESC[2K: the whole line (the cursor stays).
              if (arg === '2') line().length = 0;
              else line().length = Math.min(line().length, col);
              break;
            case 'J':
              erased++;
              line().length = Math.min(line().length, col);
              grid.length = row + 1;
              break;
            default:
              break; // colours (m), cursor visibility (h/l): nothing on the grid
          }
          i += m[0].length;
          continue;
        }
        if (ch === '\r') col = 0;
        else if (ch === '\n') {
          row++;
          col = 0;
          line();
        } else {
          const cp = chunk.codePointAt(i) ?? 0;
          const c = String.fromCodePoint(cp);
          const l = line();
          while (l.length < col) l.push(' ');
          l[col] = c;
          col++;
          i += c.length;
          continue;
        }
        i++;
      }
    },
    lines() {
      return grid.map((l) => l.join(''));
    },
  };
}
