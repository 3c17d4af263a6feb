import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHeaderWriter, createIdentityParser, formatMessageHeader } from './identity.js';

test('the header writer writes exactly the bytes of formatMessageHeader', () => {
  const parse = createIdentityParser('abcd1234');
  for (const idx of [0, 3, 12]) {
    const w = createHeaderWriter('abcd1234', idx);
    for (const [seq, at] of [
      [0, 0],
      [8, 9.99],
      [9, 1_700_000_000_123.7],
      [99_999, 1_764_597_000_000],
      [123_456_788, 10],
      [41, 1_000_000],
      [42, 999_999.5],
      [7, 1_764_597_000_007],
    ] as const) {
      const expected = formatMessageHeader('abcd1234', idx, seq, at);
      assert.equal(w.length(seq, at), expected.length);
      const buf = Buffer.alloc(expected.length + 2, 0x2e);
      assert.equal(w.write(buf, seq, at), expected.length);
      assert.equal(buf.toString('latin1'), `${expected}..`);
      assert.deepEqual(parse(buf), { kind: 'message', publisher: idx, seq, headerLength: expected.length });
    }
  }
});
