// Map names decide confidentiality (the ledger encrypts private maps) and who may write
// (governance and framework namespaces are reserved).
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { isPrivateMap, isReservedMap, mapNameProblem } from '../../src/kv/index.js';

describe('map names', () => {
  test('the prefix is the confidentiality', () => {
    assert.equal(isPrivateMap('private:app.secrets'), true);
    assert.equal(isPrivateMap('public:app.records'), false);
    assert.equal(isPrivateMap('public:private:x'), false);
  });

  test('coco.gov and coco.internal namespaces are reserved, and nothing else', () => {
    for (const name of ['public:coco.gov.members', 'public:coco.gov', 'public:coco.internal.signatures', 'private:coco.internal.secrets']) {
      assert.equal(isReservedMap(name), true, name);
    }
    for (const name of ['public:coco.governance', 'public:coco.govx', 'public:app.coco.gov.x', 'public:coco', 'private:app']) {
      assert.equal(isReservedMap(name), false, name);
    }
  });

  test('problems are explained', () => {
    assert.equal(mapNameProblem('public:ok'), undefined);
    assert.match(mapNameProblem('records') ?? '', /must start with "public:" or "private:"/);
    assert.match(mapNameProblem(`private:${'a'.repeat(300)}`) ?? '', /256-byte maximum/);
    assert.match(mapNameProblem(7) ?? '', /must be a string/);
  });
});
