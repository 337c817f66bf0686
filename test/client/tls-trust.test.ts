// Trust (DESIGN.md, identities): a client trusts only the service certificate, so a
// server whose certificate the service did not issue is refused before any request
// is sent, with a message that says so; bad options fail at connect, not later.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CocoClient, CocoTransportError } from '../../src/client/index.js';
import { testIdentities, type TestIdentities } from './test-identities.js';
import { TestNode } from './test-node.js';

describe('client TLS trust', () => {
  let ids: TestIdentities;
  let impostor: TestNode;
  before(async () => {
    ids = await testIdentities();
    impostor = await TestNode.start({ identity: ids.impostorNode, usersCa: ids.usersCa });
  });
  after(() => impostor.stop());

  it('refuses a node whose certificate another service issued, and sends it nothing', async () => {
    const client = CocoClient.connect({ url: impostor.url, serviceCertificate: ids.serviceCertificate, ...ids.user });
    try {
      await assert.rejects(client.post('/app/log/private', { id: 1, msg: 'secret' }), (error: unknown) => {
        assert.ok(error instanceof CocoTransportError);
        assert.equal(error.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
        assert.match(error.message, /not issued by the service certificate this client trusts/);
        return true;
      });
      assert.deepEqual(impostor.handled, []);
    } finally {
      await client.close();
    }
  });

  it('refuses a node certificate that does not name the host asked for', async () => {
    const node = await TestNode.start({ identity: ids.node, usersCa: ids.usersCa });
    const client = CocoClient.connect({ url: node.url.replace('127.0.0.1', 'localhost'), serviceCertificate: ids.serviceCertificate });
    try {
      await assert.rejects(client.get('/echo'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: /TLS certificate does not name localhost/ });
    } finally {
      await client.close();
      await node.stop();
    }
  });

  it('says when nothing is listening', async () => {
    const port = await unusedPort();
    const client = CocoClient.connect({ url: `https://127.0.0.1:${port}`, serviceCertificate: ids.serviceCertificate });
    await assert.rejects(client.get('/node/commit'), { name: 'CocoTransportError', code: 'ECONNREFUSED', message: `GET /node/commit to https://127.0.0.1:${port}: nothing is listening there (ECONNREFUSED)` });
    await client.close();
  });

  it('checks its options at connect', () => {
    const serviceCertificate = ids.serviceCertificate;
    assert.throws(() => CocoClient.connect({ url: 'http://127.0.0.1:8000', serviceCertificate }), /must be https/);
    assert.throws(() => CocoClient.connect({ url: 'https://127.0.0.1:8000/app', serviceCertificate }), /https:\/\/host:port, with nothing after it/);
    assert.throws(() => CocoClient.connect({ url: 'https://127.0.0.1:8000', serviceCertificate: 'not a PEM' }), /serviceCertificate: malformed certificate PEM/);
    assert.throws(() => CocoClient.connect({ url: 'https://127.0.0.1:8000', serviceCertificate, certificate: ids.user.certificate }), /certificate and privateKey go together/);
    assert.throws(
      () => CocoClient.connect({ url: 'https://127.0.0.1:8000', serviceCertificate, certificate: ids.user.certificate, privateKey: ids.node.privateKey }),
      /client certificate or private key is unusable/,
    );
    assert.throws(() => CocoClient.connect({ url: 'https://127.0.0.1:8000', serviceCertificate, timeoutMs: 0 }), /timeoutMs is a whole number/);
  });
});

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
