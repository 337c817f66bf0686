// The virtual measurement over compiled code: every .js file's path and content count,
// framed so that no two trees collide, independent of the order files are read in.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { measureCode } from '../../../src/node/attestation/measure-code.js';

const base = mkdtempSync(join(tmpdir(), 'coco-measure-'));
let trees = 0;

/** A fresh directory holding `files` (relative path → content), written in the given order. */
function tree(files: ReadonlyArray<readonly [string, string]>): string {
  trees += 1;
  const root = join(base, String(trees));
  for (const [path, content] of files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  mkdirSync(root, { recursive: true });
  return root;
}

const files: Array<[string, string]> = [
  ['main.js', 'export const a = 1;'],
  ['node/coco-node.js', 'export class CocoNode {}'],
  ['node/attestation/measure-code.js', '// measures'],
  ['kv/store.js', 'export class Store {}'],
];

describe('measureCode', () => {
  after(() => rmSync(base, { recursive: true, force: true }));

  it('is 64 hex digits, the same whatever order the files were written in', () => {
    const measurement = measureCode(tree(files));
    assert.match(measurement, /^[0-9a-f]{64}$/);
    assert.equal(measureCode(tree([...files].reverse())), measurement);
    assert.equal(measureCode(tree([files[2]!, files[0]!, files[3]!, files[1]!])), measurement);
  });

  it('is the documented hash over the files in sorted path order (docs/attestation.md)', () => {
    // Written out of order: the directory's listing order must not reach the hash.
    const root = tree([['z.js', 'last'], ['b/a.js', 'middle'], ['a.js', 'first'], ['b.js', 'between']]);
    const expected = createHash('sha256').update('coco.code-measurement.v1\0');
    for (const [path, content] of [['a.js', 'first'], ['b.js', 'between'], ['b/a.js', 'middle'], ['z.js', 'last']] as const) {
      const pathLength = Buffer.alloc(4);
      pathLength.writeUInt32BE(Buffer.byteLength(path));
      const contentLength = Buffer.alloc(8);
      contentLength.writeBigUInt64BE(BigInt(Buffer.byteLength(content)));
      expected.update(pathLength).update(path).update(contentLength).update(content);
    }
    assert.equal(measureCode(root), expected.digest('hex'));
  });

  it('changes when a file changes content or name, or is added or removed', () => {
    const measurement = measureCode(tree(files));
    const edited = tree(files);
    writeFileSync(join(edited, 'kv/store.js'), 'export class Store { }');
    assert.notEqual(measureCode(edited), measurement);
    const renamed = tree(files);
    renameSync(join(renamed, 'kv/store.js'), join(renamed, 'kv/store2.js'));
    assert.notEqual(measureCode(renamed), measurement);
    const moved = tree(files);
    renameSync(join(moved, 'main.js'), join(moved, 'kv/main.js'));
    assert.notEqual(measureCode(moved), measurement);
    assert.notEqual(measureCode(tree([...files, ['extra.js', '']])), measurement);
    assert.notEqual(measureCode(tree(files.slice(1))), measurement);
  });

  it('frames paths and contents so that concatenations do not collide', () => {
    assert.notEqual(measureCode(tree([['a.js', '1'], ['b.js', '2']])), measureCode(tree([['a.js', '1b.js2']])));
    assert.notEqual(measureCode(tree([['a.js', 'xy'], ['b.js', '']])), measureCode(tree([['a.js', 'x'], ['b.js', 'y']])));
  });

  it('ignores files that are not .js', () => {
    const measurement = measureCode(tree(files));
    assert.equal(measureCode(tree([...files, ['main.js.map', '{}'], ['main.d.ts', 'x'], ['README', 'y']])), measurement);
  });

  it('refuses a tree that reaches code through a symbolic link', () => {
    const root = tree(files);
    symlinkSync(join(root, 'main.js'), join(root, 'linked.js'));
    assert.throws(() => measureCode(root), /symbolic links/);
  });

  it('measures the compiled code Coco runs: 64 hex digits, the same twice', () => {
    const codeRoot = fileURLToPath(new URL('../../../src', import.meta.url));
    const measurement = measureCode(codeRoot);
    assert.match(measurement, /^[0-9a-f]{64}$/);
    assert.equal(measureCode(codeRoot), measurement);
  });
});
