/**
 * YAML documents with source positions, for scenario files and the targets file alike: read the
 * file (size, binary, UTF-8 checks), parse one document with unique keys, and point any document
 * path back to a line and column. Nothing here throws for a user mistake: unreadable input comes
 * back as Issues.
 */
import { readFile, stat } from 'node:fs/promises';
import createDebug from 'debug';
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
} from 'yaml';
import type { Issue } from '../errors.js';
import { uniqueBy } from './value.js';

const debug = createDebug('mqscen:document');

/** A path inside the document: property names and array indexes. */
export type DocPath = ReadonlyArray<string | number>;

/** A parsed document with its positions. */
export interface LoadedDocument {
  file: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** The plain JS value of the document. */
  value: unknown;
}

export type LoadResult =
  | { ok: true; loaded: LoadedDocument }
  /** `unreadable`: missing, not a file, too large, binary, not UTF-8; `syntax`: not valid YAML; `empty`: no data. */
  | { ok: false; issues: Issue[]; reason: 'unreadable' | 'syntax' | 'empty' };

/** What sort of document is read, for the size bound and the messages. */
export interface DocumentKind {
  /** `scenario file`, `targets file`. */
  noun: string;
  /** Files above this size are refused. */
  maxBytes: number;
  /** Said of an empty document: `is empty; <emptyHint>`. */
  emptyHint: string;
  /** Said of a directory: `is a directory, not a <noun>; <directoryHint>`. */
  directoryHint: string;
  /** YAML aliases followed at most (an alias bomb is refused). @default 1000 */
  maxAliasCount?: number;
}

/** Reads and parses a YAML file. */
export async function loadDocument(file: string, kind: DocumentKind): Promise<LoadResult> {
  const fail = (message: string, line?: number, column?: number): LoadResult => ({
    ok: false,
    issues: [{ file, line, column, path: '', message, severity: 'error' }],
    reason: 'unreadable',
  });
  let size: number;
  try {
    const st = await stat(file);
    if (st.isDirectory()) return fail(`is a directory, not a ${kind.noun}; ${kind.directoryHint}`);
    if (!st.isFile()) return fail(`is not a regular file; give a .yaml ${kind.noun}`);
    size = st.size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return fail('file not found; check the path');
    if (code === 'EACCES') return fail('cannot be read (permission denied); check the file permissions');
    return fail(`cannot be read (${(error as Error).message})`);
  }
  if (size > kind.maxBytes) return fail(tooLarge(size, kind));
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') return fail(`is a directory, not a ${kind.noun}; give a .yaml file`);
    return fail(`cannot be read (${(error as Error).message})`);
  }
  debug('read %s (%d bytes)', file, bytes.length);
  return parseDocumentBytes(file, bytes, kind);
}

/** Parses file contents already in memory (also used by tests and by stdin input). */
function parseDocumentBytes(file: string, bytes: Uint8Array, kind: DocumentKind): LoadResult {
  const fail = (message: string, offset?: number): LoadResult => {
    const pos = offset === undefined ? undefined : positionOfByte(bytes, offset);
    return {
      ok: false,
      issues: [{ file, line: pos?.line, column: pos?.column, path: '', message, severity: 'error' }],
      reason: 'unreadable',
    };
  };
  if (bytes.length > kind.maxBytes) return fail(tooLarge(bytes.length, kind));
  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    return fail(`contains NUL bytes: this is a binary file, not a YAML ${kind.noun}`, nul);
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad !== -1) {
    return fail(
      `is not valid UTF-8 (byte 0x${(bytes[bad] ?? 0).toString(16).padStart(2, '0')}); save the file as UTF-8`,
      bad,
    );
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return parseDocumentText(file, text, kind);
}

/** Parses YAML text: one document, unique keys, positions kept. */
export function parseDocumentText(file: string, input: string, kind: DocumentKind): LoadResult {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, merge: true, prettyErrors: true });
  const issue = (message: string, offset: number | undefined): Issue => {
    const pos = offset === undefined ? undefined : lineCounter.linePos(offset);
    return { file, line: pos?.line, column: pos?.col, path: '', message, severity: 'error' };
  };
  const empty = (): LoadResult => ({
    ok: false,
    issues: [issue(`is empty; ${kind.emptyHint}`, undefined)],
    reason: 'empty',
  });
  if (!Array.isArray(docs) || docs.length === 0) return empty();
  const issues: Issue[] = [];
  if (docs.length > 1) {
    const second = docs[1] as Document.Parsed;
    issues.push(
      issue(
        `holds ${docs.length} YAML documents (separated by \`---\`); put one ${kind.noun.replace(/ file$/, '')} per file`,
        second.range[0],
      ),
    );
  }
  const doc = docs[0] as Document.Parsed;
  // After the first syntax error the parser's later complaints are mostly echoes of it, so only
  // the first is reported; duplicate keys are independent mistakes and are all reported.
  let syntaxReported = false;
  for (const error of doc.errors) {
    if (error.code === 'DUPLICATE_KEY') {
      const key = /^\s*("[^"]*"|'[^']*'|[^:#\n]*?)\s*:/.exec(text.slice(error.pos[0]))?.[1];
      const name = key ? ` "${key.replace(/^["']|["']$/g, '')}"` : '';
      issues.push(
        issue(
          `duplicate key${name}: each key may appear once in a mapping; remove or rename one`,
          error.pos[0],
        ),
      );
      continue;
    }
    if (syntaxReported) continue;
    syntaxReported = true;
    issues.push(
      issue(yamlErrorMessage(error.code, error.message, kind) + flowHint(text, error.pos[0]), error.pos[0]),
    );
  }
  if (issues.length > 0) {
    return {
      ok: false,
      issues: uniqueBy(issues, (i) => `${i.line}:${i.column}:${i.message}`),
      reason: 'syntax',
    };
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return empty();
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: kind.maxAliasCount ?? 1000 });
  } catch (error) {
    // e.g. an alias bomb ("billion laughs") or an alias to nothing.
    return {
      ok: false,
      issues: [issue(`cannot be read as data: ${(error as Error).message}`, undefined)],
      reason: 'syntax',
    };
  }
  return { ok: true, loaded: { file, doc, lineCounter, value } };
}

/** Where a path points in the YAML, 1-based. `key: true` points at the property name rather than its value. */
export function locate(
  loaded: Pick<LoadedDocument, 'doc' | 'lineCounter'>,
  path: DocPath,
  options: { key?: boolean } = {},
): { line: number; column: number } | undefined {
  let node: unknown = loaded.doc.contents;
  let offset = rangeStart(node);
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    node = resolveAlias(loaded.doc, node);
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(segment));
      if (pair === undefined) break;
      if (options.key === true && i === path.length - 1) {
        offset = rangeStart(pair.key) ?? offset;
        break;
      }
      next = pair.value;
      // `key:` with no value: point at the key.
      if (next === null || next === undefined) {
        offset = rangeStart(pair.key) ?? offset;
        break;
      }
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment];
      if (next === undefined) break;
    } else {
      break;
    }
    node = next;
    offset = rangeStart(node) ?? offset;
  }
  if (offset === undefined) return undefined;
  const pos = loaded.lineCounter.linePos(offset);
  return { line: pos.line, column: pos.col };
}

/** `steps[3].disconnect.clients` from `['steps', 3, 'disconnect', 'clients']`. */
export function formatPath(path: DocPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

// --- internal ---

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function resolveAlias(doc: Document.Parsed, node: unknown): unknown {
  let current = node;
  for (let hops = 0; isAlias(current) && hops < 10; hops++) current = current.resolve(doc);
  return current;
}

function tooLarge(size: number, kind: DocumentKind): string {
  const limit =
    kind.maxBytes >= 1024 * 1024 ? `${kind.maxBytes / 1024 / 1024} MiB` : `${kind.maxBytes / 1024} KiB`;
  const shown = size >= 1024 * 1024 ? `${(size / 1024 / 1024).toFixed(1)} MiB` : `${size} bytes`;
  return `is ${shown}; ${kind.noun}s are limited to ${limit} (is this really a ${kind.noun}?)`;
}

function yamlErrorMessage(code: string, message: string, kind: DocumentKind): string {
  // yaml's messages end with "at line X, column Y:" and a code frame; the position is printed separately.
  const first = (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
  switch (code) {
    case 'TAB_AS_INDENT':
      return 'YAML syntax error: tabs cannot be used for indentation; indent with spaces';
    case 'MULTIPLE_DOCS':
      return `holds several YAML documents; put one ${kind.noun.replace(/ file$/, '')} per file`;
    default:
      return `YAML syntax error: ${first}`;
  }
}

/**
 * `{ clients: subscriber[2] }` is not valid YAML: inside `{ }` and `[ ]` the brackets of an
 * instance reference end the value. The fix is quoting, which the parser's own message never says.
 */
function flowHint(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEnd = text.indexOf('\n', offset);
  const line = text.slice(lineStart, lineEnd === -1 ? undefined : lineEnd);
  const ref = /[{[,]\s*[\w-]+\s*:\s*([A-Za-z][\w-]*\[\d+(?:\.\.\d+)?\])/.exec(line)?.[1];
  return ref === undefined ? '' : `; inside { } or [ ], quote client references that use brackets: "${ref}"`;
}

/** Offset of the first byte that breaks UTF-8, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i;
    }
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** 1-based line and column (in characters) of a byte offset. */
function positionOfByte(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  // Count characters, not bytes, up to the offset (continuation bytes do not start a character).
  let column = 1;
  for (let i = lineStart; i < offset; i++) if (((bytes[i] as number) & 0xc0) !== 0x80) column++;
  return { line, column };
}
