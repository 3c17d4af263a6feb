/**
 * A small JSON parser that keeps where every value starts, so problems in a policy document are
 * reported at file:line:column like scenario errors. It accepts exactly RFC 8259 JSON (AWS rejects
 * anything else): no comments, no trailing commas, double-quoted strings only.
 */

export interface Position {
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
}

export type JsonNode =
  | { kind: 'object'; pos: Position; entries: Array<{ key: string; keyPos: Position; value: JsonNode }> }
  | { kind: 'array'; pos: Position; items: JsonNode[] }
  | { kind: 'string'; pos: Position; value: string }
  | { kind: 'number'; pos: Position; value: number }
  | { kind: 'boolean'; pos: Position; value: boolean }
  | { kind: 'null'; pos: Position };

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly pos: Position,
  ) {
    super(message);
  }
}

/** Parses JSON text; JsonSyntaxError (with the position) on the first problem. */
export function parseJsonWithPositions(text: string): JsonNode {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const pos = (): Position => ({ line, column: i - lineStart + 1 });
  const fail = (message: string): never => {
    throw new JsonSyntaxError(message, pos());
  };
  const skipWs = (): void => {
    while (i < src.length) {
      const c = src[i];
      if (c === '\n') {
        i++;
        line++;
        lineStart = i;
      } else if (c === ' ' || c === '\t' || c === '\r') {
        i++;
      } else {
        return;
      }
    }
  };
  const describe = (): string => (i >= src.length ? 'end of file' : JSON.stringify(src[i]));
  const parseString = (): string => {
    // src[i] === '"'
    i++;
    let out = '';
    for (;;) {
      if (i >= src.length) fail('unterminated string');
      const c = src[i] as string;
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\n') fail('unterminated string (a line break inside a string must be written \\n)');
      if (c === '\\') {
        const e = src[i + 1];
        const simple: Record<string, string> = {
          '"': '"',
          '\\': '\\',
          '/': '/',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          i += 2;
          continue;
        }
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) {
          out += String.fromCharCode(Number.parseInt(src.slice(i + 2, i + 6), 16));
          i += 6;
          continue;
        }
        fail(`invalid escape "\\${e ?? ''}" in a string`);
      }
      if (c.charCodeAt(0) < 0x20) fail('control character inside a string');
      out += c;
      i++;
    }
  };
  const parseValue = (): JsonNode => {
    skipWs();
    const at = pos();
    const c = src[i];
    if (c === '{') {
      i++;
      const entries: Array<{ key: string; keyPos: Position; value: JsonNode }> = [];
      skipWs();
      if (src[i] === '}') {
        i++;
        return { kind: 'object', pos: at, entries };
      }
      for (;;) {
        skipWs();
        if (src[i] !== '"') fail(`expected a double-quoted key, found ${describe()}`);
        const keyPos = pos();
        const key = parseString();
        skipWs();
        if (src[i] !== ':') fail(`expected ":" after key "${key}", found ${describe()}`);
        i++;
        const value = parseValue();
        entries.push({ key, keyPos, value });
        skipWs();
        if (src[i] === ',') {
          const comma = pos();
          i++;
          skipWs();
          if (src[i] === '}')
            throw new JsonSyntaxError('trailing comma before "}" (JSON allows none)', comma);
          continue;
        }
        if (src[i] === '}') {
          i++;
          return { kind: 'object', pos: at, entries };
        }
        fail(`expected "," or "}" in an object, found ${describe()}`);
      }
    }
    if (c === '[') {
      i++;
      const items: JsonNode[] = [];
      skipWs();
      if (src[i] === ']') {
        i++;
        return { kind: 'array', pos: at, items };
      }
      for (;;) {
        items.push(parseValue());
        skipWs();
        if (src[i] === ',') {
          const comma = pos();
          i++;
          skipWs();
          if (src[i] === ']')
            throw new JsonSyntaxError('trailing comma before "]" (JSON allows none)', comma);
          continue;
        }
        if (src[i] === ']') {
          i++;
          return { kind: 'array', pos: at, items };
        }
        fail(`expected "," or "]" in a list, found ${describe()}`);
      }
    }
    if (c === '"') return { kind: 'string', pos: at, value: parseString() };
    const rest = src.slice(i);
    const num = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(rest);
    if (num) {
      i += num[0].length;
      return { kind: 'number', pos: at, value: Number(num[0]) };
    }
    for (const [word, node] of [
      ['true', { kind: 'boolean', pos: at, value: true }],
      ['false', { kind: 'boolean', pos: at, value: false }],
      ['null', { kind: 'null', pos: at }],
    ] as const) {
      if (rest.startsWith(word)) {
        i += word.length;
        return node;
      }
    }
    if (c === "'") fail('strings must use double quotes in JSON');
    return fail(`expected a JSON value, found ${describe()}`);
  };
  const root = parseValue();
  skipWs();
  if (i < src.length) fail(`unexpected ${describe()} after the end of the document`);
  return root;
}
