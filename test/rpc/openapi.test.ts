// The OpenAPI document lists every endpoint with its parameters, schemas and security.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anyCertAuth, memberCertAuth, noAuth, userCertAuth } from '../../src/rpc/auth-policies.js';
import type { Endpoint } from '../../src/rpc/endpoint.js';
import { buildOpenApi } from '../../src/rpc/openapi.js';

const endpoints: Endpoint[] = [
  {
    method: 'POST', path: '/app/log', mode: 'readwrite', auth: [userCertAuth, memberCertAuth], summary: 'Record',
    requestSchema: { type: 'object', properties: { msg: { type: 'string' } } },
    responseSchema: { type: 'object', properties: { id: { type: 'integer' } } },
    handler: () => ({}),
  },
  {
    method: 'GET', path: '/app/log/:id', mode: 'readonly', auth: [anyCertAuth], summary: 'Read',
    querySchema: { type: 'object', required: ['at'], properties: { at: { type: 'string' }, verbose: { type: 'string' } } },
    handler: () => ({}),
  },
  { method: 'DELETE', path: '/app/log/:id', mode: 'readwrite', auth: [userCertAuth], summary: 'Delete', handler: () => ({}) },
  { method: 'GET', path: '/node/state', mode: 'readonly', auth: [noAuth], summary: 'State', handler: () => ({}) },
];

describe('buildOpenApi', () => {
  const document = JSON.parse(JSON.stringify(buildOpenApi(endpoints, { title: 'Test', version: '1.2.3' })));

  it('is OpenAPI 3.1 JSON listing every endpoint once', () => {
    assert.equal(document.openapi, '3.1.0');
    assert.deepEqual(document.info, { title: 'Test', version: '1.2.3' });
    const operations = Object.entries(document.paths as Record<string, object>).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`));
    assert.deepEqual(operations.sort(), ['delete /app/log/{id}', 'get /app/log/{id}', 'get /node/state', 'post /app/log']);
    const ids = operations.map((operation) => {
      const [method, path] = operation.split(' ') as [string, string];
      return document.paths[path][method].operationId;
    });
    assert.equal(new Set(ids).size, ids.length);
  });

  it('carries schemas, parameters and summaries', () => {
    const post = document.paths['/app/log'].post;
    assert.equal(post.summary, 'Record');
    assert.deepEqual(post.requestBody.content['application/json'].schema, endpoints[0]?.requestSchema);
    assert.deepEqual(post.responses['200'].content['application/json'].schema, endpoints[0]?.responseSchema);
    assert.equal(post.responses.default.$ref, '#/components/responses/Error');
    const get = document.paths['/app/log/{id}'].get;
    assert.deepEqual(get.parameters.map((parameter: { name: string; in: string; required: boolean }) => [parameter.name, parameter.in, parameter.required]), [
      ['id', 'path', true], ['at', 'query', true], ['verbose', 'query', false],
    ]);
  });

  it('notes the auth policies as alternative security requirements', () => {
    assert.deepEqual(document.paths['/app/log'].post.security, [{ user_cert: [] }, { member_cert: [] }]);
    assert.deepEqual(document.paths['/node/state'].get.security, [{}]);
    assert.deepEqual(Object.keys(document.components.securitySchemes).sort(), ['any_cert', 'member_cert', 'user_cert']);
    assert.equal(document.components.securitySchemes.user_cert.type, 'mutualTLS');
  });
});
