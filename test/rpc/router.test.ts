// Routing: literal segments before parameters, 404 for unknown paths and 405 (with the
// allowed methods) for known paths with another method, percent-decoded parameters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Router, type Route } from '../../src/rpc/router.js';

const routes: Route[] = [
  { method: 'GET', path: '/app/log' },
  { method: 'POST', path: '/app/log' },
  { method: 'GET', path: '/app/log/:id' },
  { method: 'GET', path: '/app/log/count' },
  { method: 'DELETE', path: '/app/log/:id' },
  { method: 'PUT', path: '/app/users/:user/keys/:key' },
];
const router = new Router(routes);

describe('Router', () => {
  it('finds literal paths by method', () => {
    const found = router.match('POST', '/app/log');
    assert.equal(found.kind, 'found');
    assert.equal(found.kind === 'found' && found.route, routes[1]);
  });

  it('prefers a literal segment over a parameter, and falls back to the parameter for other methods', () => {
    const literal = router.match('GET', '/app/log/count');
    assert.equal(literal.kind === 'found' && literal.route.path, '/app/log/count');
    const parameter = router.match('DELETE', '/app/log/count');
    assert.deepEqual(parameter.kind === 'found' && parameter.params, { id: 'count' });
  });

  it('percent-decodes parameters, "/" included', () => {
    const found = router.match('PUT', '/app/users/al%20ice/keys/a%2Fb');
    assert.deepEqual(found.kind === 'found' && found.params, { user: 'al ice', key: 'a/b' });
  });

  it('answers 404 for unknown paths, empty parameters and targets that are not paths', () => {
    for (const path of ['/app/nothing', '/app/log/', '/app/log/1/2', '/', '*', 'http://host/app/log']) {
      assert.deepEqual(router.match('GET', path), { kind: 'not-found' }, path);
    }
  });

  it('answers 405 with every method the path takes', () => {
    assert.deepEqual(router.match('PATCH', '/app/log/7'), { kind: 'method-not-allowed', allowed: ['DELETE', 'GET'] });
    assert.deepEqual(router.match('HEAD', '/app/log'), { kind: 'method-not-allowed', allowed: ['GET', 'POST'] });
  });

  it('refuses bad percent-encoding', () => {
    const match = router.match('GET', '/app/log/%E0%A4%A');
    assert.equal(match.kind, 'malformed');
  });

  it('refuses clashing routes when built', () => {
    assert.throws(() => new Router([{ method: 'GET', path: '/a/:x' }, { method: 'GET', path: '/a/:y' }]), /clashes/);
    assert.throws(() => new Router([{ method: 'GET', path: 'a' }]), /must start with/);
    assert.throws(() => new Router([{ method: 'GET', path: '/a/:x/:x' }]), /repeats/);
  });
});
