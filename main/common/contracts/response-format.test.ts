import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isConstrainedFormat, ResponseFormatSchema } from './response-format.ts';

describe('ResponseFormatSchema', () => {
  it('takes OpenAI\'s three response formats as clients send them', () => {
    assert.deepEqual(ResponseFormatSchema.parse({ type: 'text' }), { type: 'text' });
    assert.deepEqual(ResponseFormatSchema.parse({ type: 'json_object' }), { type: 'json_object' });
    const schema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
    const format = ResponseFormatSchema.parse({ type: 'json_schema', json_schema: { name: 'person', schema, strict: true } });
    assert.deepEqual(format, { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } });
    assert.equal(isConstrainedFormat(format), true);
    assert.equal(isConstrainedFormat({ type: 'text' }), false);
    assert.equal(isConstrainedFormat(undefined), false);
  });

  it('names what is wrong: an unknown type, a missing or ill-formed name, an unknown key, a schema that is not an object', () => {
    const issue = (value: unknown) => {
      const result = ResponseFormatSchema.safeParse(value);
      assert.equal(result.success, false, JSON.stringify(value));
      return result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    };
    assert.match(issue({ type: 'yaml' }), /^type: /);
    assert.match(issue({ type: 'json_schema', json_schema: { schema: {} } }), /json_schema\.name/);
    assert.match(issue({ type: 'json_schema', json_schema: { name: 'has space' } }), /letters, digits, underscores or dashes/);
    assert.match(issue({ type: 'json_object', schema: {} }), /schema/);
    assert.match(issue({ type: 'json_schema', json_schema: { name: 'x', schema: 'string' } }), /json_schema\.schema/);
  });
});
