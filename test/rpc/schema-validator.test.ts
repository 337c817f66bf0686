// Schema checks name the place that failed, and bad schemas fail when compiled.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queryObject, SchemaValidator } from '../../src/rpc/schema-validator.js';

const validator = new SchemaValidator();
const record = validator.compile({
  type: 'object',
  additionalProperties: false,
  required: ['id', 'msg'],
  properties: {
    id: { type: 'integer' },
    msg: { type: 'string' },
    kind: { enum: ['a', 'b'] },
    tags: { type: 'array', items: { type: 'string' } },
  },
}, 'body');

describe('SchemaValidator', () => {
  it('accepts what matches', () => {
    assert.equal(record({ id: 1, msg: 'hi', tags: ['x'] }), undefined);
  });

  it('names the failing place', () => {
    assert.equal(record({ id: 1.5, msg: 'hi' }), 'body/id must be integer');
    assert.equal(record({ id: 1 }), 'body/msg is required');
    assert.equal(record({ id: 1, msg: 'hi', extra: true }), 'body/extra is not allowed');
    assert.equal(record({ id: 1, msg: 'hi', kind: 'c' }), 'body/kind must be one of "a", "b"');
    assert.equal(record({ id: 1, msg: 'hi', tags: ['x', 2] }), 'body/tags/1 must be string');
    assert.equal(record([]), 'body must be object');
    assert.equal(record(undefined), 'body is required');
  });

  it('refuses schemas strict mode rejects, at compile time', () => {
    assert.throws(() => validator.compile({ type: 'object', properties: { id: { type: 'integr' } } }, 'body'));
    assert.throws(() => validator.compile({ type: 'object', requred: ['id'] }, 'body'), /unknown keyword/);
  });

  it('sees a query as strings, and repeated parameters as arrays', () => {
    const query = validator.compile({ type: 'object', required: ['id'], properties: { id: { type: 'string' } } }, 'query');
    assert.deepEqual(queryObject(new URLSearchParams('id=1&x=2&x=3&x=4')), { id: '1', x: ['2', '3', '4'] });
    assert.equal(query(queryObject(new URLSearchParams('id=1'))), undefined);
    assert.equal(query(queryObject(new URLSearchParams('id=1&id=2'))), 'query/id must be string');
    assert.equal(query(queryObject(new URLSearchParams(''))), 'query/id is required');
    assert.equal(Object.getPrototypeOf(queryObject(new URLSearchParams('__proto__=1'))), Object.prototype);
  });
});
