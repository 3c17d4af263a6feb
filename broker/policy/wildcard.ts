/**
 * IAM-style wildcard patterns over a whole string (POL-6): `*` matches any run of characters,
 * `/` included; `?` exactly one character; MQTT `+` and `#` are ordinary characters (POL-3).
 * `${*}`, `${?}` and `${$}` write the literal characters; any other `${…}` is a policy variable
 * (POL-7), replaced by its value as literal text (POL-8: no escaping, a client id `+` is a `+`).
 */

export type PatternToken =
  | { t: 'lit'; s: string }
  | { t: 'star' }
  | { t: 'one' }
  | { t: 'var'; name: string };

/** A pattern as written and as tokens. */
export interface Pattern {
  readonly text: string;
  readonly tokens: readonly PatternToken[];
  /** Names of the policy variables it uses. */
  readonly variables: readonly string[];
}

const ESCAPES: Record<string, string> = { '*': '*', '?': '?', $: '$' };

export function parsePattern(text: string): Pattern {
  const tokens: PatternToken[] = [];
  const variables: string[] = [];
  let lit = '';
  const flush = (): void => {
    if (lit !== '') tokens.push({ t: 'lit', s: lit });
    lit = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '$' && text[i + 1] === '{') {
      const end = text.indexOf('}', i + 2);
      if (end > i + 2) {
        const inner = text.slice(i + 2, end);
        const escaped = ESCAPES[inner];
        if (escaped !== undefined) {
          lit += escaped;
        } else {
          flush();
          tokens.push({ t: 'var', name: inner });
          variables.push(inner);
        }
        i = end;
        continue;
      }
    }
    if (c === '*') {
      flush();
      tokens.push({ t: 'star' });
    } else if (c === '?') {
      flush();
      tokens.push({ t: 'one' });
    } else {
      lit += c;
    }
  }
  flush();
  return { text, tokens, variables };
}

/** Looks a policy variable up; undefined = cannot be resolved for this request. */
export type VariableLookup = (name: string) => string | undefined;

/**
 * Whether `value` matches the pattern. `'unresolved'` when a variable the pattern uses has no
 * value (POL-7: such a pattern never matches, and never turns into a wildcard).
 */
export function matchPattern(
  pattern: Pattern,
  value: string,
  lookup: VariableLookup = () => undefined,
  options: { ignoreCase?: boolean } = {},
): boolean | 'unresolved' {
  let source = '^';
  for (const token of pattern.tokens) {
    switch (token.t) {
      case 'lit':
        source += escapeRegExp(token.s);
        break;
      case 'star':
        source += '[\\s\\S]*';
        break;
      case 'one':
        source += '[\\s\\S]';
        break;
      case 'var': {
        const v = lookup(token.name);
        if (v === undefined) return 'unresolved';
        source += escapeRegExp(v);
        break;
      }
    }
  }
  source += '$';
  return new RegExp(source, options.ignoreCase ? 'iu' : 'u').test(value);
}

/** True when the pattern holds `*` or `?` wildcards (not counting escaped ones). */
export function hasWildcard(pattern: Pattern): boolean {
  return pattern.tokens.some((t) => t.t === 'star' || t.t === 'one');
}

// --- internal ---

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
