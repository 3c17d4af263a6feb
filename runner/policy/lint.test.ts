/** Policy lint: each common mistake warns (at its position), and the original suite policy is clean. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parsePolicyDocument } from '../document/policy-document.js';
import { lintPolicy } from './lint.js';

const lint = (...statements: object[]) =>
  lintPolicy(
    parsePolicyDocument(JSON.stringify({ Version: '2012-10-17', Statement: statements }), 'p.json'),
  ).map((i) => i.message);
const A = 'arn:aws:iot:*:*';

// biome-ignore format: one case per line reads as a table
const cases: Array<{ rule: string; name: string; statements: object[]; warning: RegExp }> = [
  { rule: 'POL-2', name: 'Subscribe without Receive', statements: [{ Effect: 'Allow', Action: 'iot:Subscribe', Resource: `${A}:topicfilter/a/b` }], warning: /Subscribe is granted on topicfilter\/a\/b but no statement grants iot:Receive on topic\/a\/b/ },
  { rule: 'POL-2', name: 'topic/ for Subscribe', statements: [{ Effect: 'Allow', Action: 'iot:Subscribe', Resource: `${A}:topic/a` }], warning: /iot:Subscribe is checked on topicfilter\// },
  { rule: 'POL-2', name: 'topicfilter/ for Receive', statements: [{ Effect: 'Allow', Action: 'iot:Receive', Resource: `${A}:topicfilter/a` }], warning: /iot:Receive is checked on topic\/<name>/ },
  { rule: 'POL-6', name: '# in a topic resource', statements: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: `${A}:topic/a/#` }], warning: /literal characters in policies, not MQTT wildcards/ },
  { rule: 'POL-3', name: '+ in a topicfilter resource', statements: [{ Effect: 'Allow', Action: ['iot:Subscribe', 'iot:Receive'], Resource: [`${A}:topicfilter/a/+`, `${A}:topic/a/*`] }], warning: /grants only a SUBSCRIBE to exactly that filter/ },
  { rule: 'POL-1', name: 'iot:* on *', statements: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }], warning: /allows every client everything/ },
  { rule: 'POL-7', name: 'Terraform $${…}', statements: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: `${A}:topic/$\${iot:ClientId}` }], warning: /Terraform's escape/ },
  { rule: 'POL-7', name: 'unknown variable', statements: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: `${A}:topic/\${iot:ClientID}` }], warning: /unknown policy variable "\$\{iot:ClientID\}"/ },
  { rule: 'POL-6', name: 'placeholder region and account', statements: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:region:account:topic/a' }], warning: /region "region" .* is not an AWS region/ },
];

for (const c of cases) {
  test(`lint ${c.rule}: ${c.name} warns`, () => {
    const warnings = lint(...c.statements);
    assert.ok(
      warnings.some((w) => c.warning.test(w)),
      warnings.join('\n'),
    );
  });
}

test('lint: the original suite policy and a policy over 2048 characters', () => {
  const original = readFileSync(
    new URL('../../scenarios/policies/original-suite-policy.json', import.meta.url),
    'utf8',
  );
  assert.deepEqual(lintPolicy(parsePolicyDocument(original, 'o.json')), []);
  const many = Array.from({ length: 40 }, (_, i) => ({
    Effect: 'Allow',
    Action: 'iot:Publish',
    Resource: `arn:aws:iot:us-east-1:123456789012:topic/t/${i}`,
  }));
  assert.ok(lint(...many).some((w) => /AWS IoT refuses policies over 2048/.test(w)));
  assert.ok(!lint(...many.slice(0, 2)).some((w) => /2048/.test(w)));
});
