// The history tree against a naive recursive oracle of RFC 9162 §2.1.1, its inclusion
// paths (§2.1.3.1) against tampering and misplacement, and its truncate / retainFrom /
// serialise behaviour against a tree that never forgot anything.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MerkleTree, hashChildren, pathMatchesIndex, rootFromPath, type MerklePath, type MerklePathStep } from '../../src/crypto/merkle-tree.js';

function digest(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** MTH(D[0:n]) computed straight from the definition, sharing no code with the tree. */
function oracleRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return digest();
  if (leaves.length === 1) return leaves[0] as Buffer;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return digest(Buffer.from([1]), oracleRoot(leaves.slice(0, k)), oracleRoot(leaves.slice(k)));
}

function makeLeaves(seed: number, count: number, from = 0): Buffer[] {
  return Array.from({ length: count }, (_, i) => digest(Buffer.from(`leaf ${seed}:${from + i}`)));
}

function treeOf(leaves: readonly Buffer[]): MerkleTree {
  const tree = new MerkleTree();
  for (const leaf of leaves) tree.append(leaf);
  return tree;
}

function flipByte(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at % copy.length] = (copy[at % copy.length] as number) ^ 0x01;
  return copy;
}

function stepDigest(step: MerklePathStep): Buffer {
  return 'left' in step ? step.left : step.right;
}

function withStep(path: MerklePath, i: number, step: MerklePathStep): MerklePath {
  return path.map((s, j) => (j === i ? step : s));
}

describe('MerkleTree root (RFC 9162 §2.1.1)', () => {
  it('hashes the empty tree, one leaf, 3 and 5 leaves by hand', () => {
    const [a, b, c, d, e] = makeLeaves(1, 5) as [Buffer, Buffer, Buffer, Buffer, Buffer];
    const one = Buffer.from([1]);
    assert.equal(new MerkleTree().root().toString('hex'), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.deepEqual(treeOf([a]).root(), a, 'a one-leaf tree is its leaf, not hashed again');
    const ab = digest(one, a, b);
    assert.deepEqual(treeOf([a, b, c]).root(), digest(one, ab, c));
    const abcd = digest(one, ab, digest(one, c, d));
    assert.deepEqual(treeOf([a, b, c, d, e]).root(), digest(one, abcd, e));
    assert.deepEqual(hashChildren(a, b), ab);
  });

  it('reproduces the worked example of docs/merkle-tree.md', () => {
    const leaves = Array.from({ length: 7 }, (_, i) => digest(Buffer.from([0, i])));
    const tree = new MerkleTree();
    const roots: Record<number, string> = {
      1: '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      2: 'a20bf9a7cc2dc8a08f5f415a71b19f6ac427bab54d24eec868b5d3103449953a',
      3: '3b6cccd7e3e023ff393006f030315ee7ad9eb111b022b41fba7e5b7a3973f688',
      5: 'b855b42d6c30f5b087e05266783fbd6e394f7b926013ccaa67700a8b0c5a596f',
      7: '3560191803028444b232018ac047fdb561c09c23a7a6876c85e08b5e4d48e9f3',
    };
    for (const leaf of leaves) tree.append(leaf);
    for (const [n, root] of Object.entries(roots)) assert.equal(tree.rootAt(Number(n)).toString('hex'), root);
    const hex = (path: MerklePath): string[] => path.map((step) => ('left' in step ? 'left ' : 'right ') + stepDigest(step).toString('hex'));
    assert.deepEqual(hex(tree.path(2, 5)), [`right ${leaves[3]?.toString('hex')}`, `left ${roots[2]}`, `right ${leaves[4]?.toString('hex')}`]);
    assert.deepEqual(hex(tree.path(4, 7)), [
      `right ${leaves[5]?.toString('hex')}`,
      `right ${leaves[6]?.toString('hex')}`,
      'left 9bcd51240af4005168f033121ba85be5a6ed4f0e6a5fac262066729b8fbfdecb',
    ]);
  });

  it('matches the oracle at every size up to 70, via root() and rootAt()', () => {
    const leaves = makeLeaves(2, 70);
    const tree = new MerkleTree();
    for (let n = 0; n <= leaves.length; n++) {
      assert.deepEqual(tree.root(), oracleRoot(leaves.slice(0, n)), `root at ${n}`);
      if (n < leaves.length) tree.append(leaves[n] as Buffer);
    }
    for (let n = 0; n <= leaves.length; n++) assert.deepEqual(tree.rootAt(n), oracleRoot(leaves.slice(0, n)), `rootAt(${n})`);
  });

  it('matches the oracle for random sizes and random truncations', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 300 }), fc.array(fc.nat(), { maxLength: 4 }), (seed, size, picks) => {
        const leaves = makeLeaves(seed, size);
        const tree = treeOf(leaves);
        assert.deepEqual(tree.root(), oracleRoot(leaves));
        for (const pick of picks) {
          const s = pick % (tree.size + 1);
          assert.deepEqual(tree.rootAt(s), oracleRoot(leaves.slice(0, s)));
          tree.truncate(s);
          assert.equal(tree.size, s);
          assert.deepEqual(tree.root(), oracleRoot(leaves.slice(0, s)));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('does not let a caller mutate the tree through returned buffers', () => {
    const leaves = makeLeaves(3, 4);
    const tree = treeOf(leaves);
    tree.root().fill(0);
    tree.leaf(1).fill(0);
    tree.rootAt(2).fill(0);
    leaves[0]?.fill(0);
    assert.deepEqual(tree.root(), oracleRoot(makeLeaves(3, 4)));
  });
});

describe('MerkleTree paths (RFC 9162 §2.1.3.1)', () => {
  it('proves every leaf, and fails on any altered byte or reused position', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 120 }), fc.nat(), fc.nat(), (seed, size, pickSize, pickByte) => {
        const leaves = makeLeaves(seed, size);
        const tree = treeOf(leaves);
        const treeSize = 1 + (pickSize % size);
        const root = tree.rootAt(treeSize);
        for (let index = 0; index < treeSize; index++) {
          const leaf = leaves[index] as Buffer;
          const path = tree.path(index, treeSize);
          assert.deepEqual(rootFromPath(leaf, path), root, `leaf ${index} of ${treeSize}`);
          assert.ok(pathMatchesIndex(path, index, treeSize));

          assert.notDeepEqual(rootFromPath(flipByte(leaf, pickByte), path), root, 'altered leaf');
          assert.notDeepEqual(rootFromPath(leaf, path), flipByte(root, pickByte), 'altered root');
          path.forEach((step, i) => {
            const altered = flipByte(stepDigest(step), pickByte);
            assert.notDeepEqual(rootFromPath(leaf, withStep(path, i, 'left' in step ? { left: altered } : { right: altered })), root, `altered step ${i}`);
          });
          for (let other = 0; other < treeSize; other++) {
            if (other !== index) assert.ok(!pathMatchesIndex(path, other, treeSize), `path of ${index} reused for ${other}`);
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it('rejects paths with a step of both or neither side, and impossible positions', () => {
    const tree = treeOf(makeLeaves(4, 5));
    const path = tree.path(1);
    const leaf = tree.leaf(1);
    const sibling = stepDigest(path[0] as MerklePathStep);
    const twoSided = { left: sibling, right: sibling } as MerklePathStep;
    assert.throws(() => rootFromPath(leaf, withStep(path, 0, twoSided)), /exactly one of left or right/);
    assert.ok(!pathMatchesIndex(withStep(path, 0, twoSided), 1, 5));
    assert.ok(!pathMatchesIndex(withStep(path, 0, {} as MerklePathStep), 1, 5));
    assert.ok(!pathMatchesIndex(path.slice(1), 1, 5), 'a shortened path');
    assert.ok(!pathMatchesIndex(path, 1, 9), 'another tree size');
    for (const [index, size] of [[-1, 5], [5, 5], [0, 0], [1.5, 5], [1, Number.NaN]] as const) assert.ok(!pathMatchesIndex(path, index, size));
    assert.deepEqual(treeOf([leaf]).path(0), []);
    assert.ok(pathMatchesIndex([], 0, 1));
    assert.throws(() => rootFromPath(leaf.subarray(1), []), /32-byte digest/);
    assert.throws(() => rootFromPath(leaf, [{ left: sibling.subarray(1) }]), /32-byte digests/);
  });
});

describe('MerkleTree truncate', () => {
  it('truncate then re-append equals a fresh tree', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 300 }), fc.nat(), fc.integer({ min: 0, max: 100 }), (seed, size, pick, extra) => {
        const leaves = makeLeaves(seed, size);
        const keep = pick % (size + 1);
        const more = makeLeaves(seed + 1, extra);
        const tree = treeOf(leaves);
        tree.truncate(keep);
        for (const leaf of more) tree.append(leaf);
        const fresh = treeOf([...leaves.slice(0, keep), ...more]);
        assert.deepEqual(tree.root(), fresh.root());
        assert.deepEqual(tree.serialise(), fresh.serialise(), 'the same state, node for node');
      }),
      { numRuns: 100 },
    );
  });
});

describe('MerkleTree retainFrom and serialise', () => {
  /** Everything a retained tree must still answer, compared with a tree that kept everything. */
  function assertAgrees(tree: MerkleTree, full: MerkleTree): void {
    const from = tree.firstRetainedIndex;
    assert.equal(tree.size, full.size);
    assert.deepEqual(tree.root(), full.root());
    for (let s = 0; s <= tree.size; s++) {
      if (s >= from) {
        assert.deepEqual(tree.rootAt(s), full.rootAt(s), `rootAt(${s})`);
      } else {
        // Below the retained index a root is either still computable and right, or refused.
        try {
          assert.deepEqual(tree.rootAt(s), full.rootAt(s), `rootAt(${s})`);
        } catch (error) {
          assert.ok(error instanceof RangeError, `rootAt(${s}) failed with ${String(error)}`);
        }
      }
    }
    for (let index = 0; index < tree.size; index++) {
      if (index < from) {
        assert.throws(() => tree.path(index), RangeError);
        assert.throws(() => tree.leaf(index), RangeError);
        continue;
      }
      assert.deepEqual(tree.leaf(index), full.leaf(index));
      for (const s of new Set([index + 1, tree.size, Math.ceil((index + 1 + tree.size) / 2)])) {
        assert.deepEqual(tree.path(index, s), full.path(index, s), `path(${index}, ${s})`);
      }
    }
  }

  it('keeps roots and proofs for retained leaves through a serialise round trip', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 150 }), fc.array(fc.tuple(fc.constantFrom('retain', 'truncate', 'append', 'reload'), fc.nat()), { maxLength: 6 }), (seed, size, ops) => {
        let tree = treeOf(makeLeaves(seed, size));
        let full = treeOf(makeLeaves(seed, size));
        for (const [op, n] of ops) {
          if (op === 'retain') tree.retainFrom(tree.firstRetainedIndex + (n % (tree.size - tree.firstRetainedIndex + 1)));
          if (op === 'truncate') {
            const s = tree.firstRetainedIndex + (n % (tree.size - tree.firstRetainedIndex + 1));
            tree.truncate(s);
            full.truncate(s);
          }
          if (op === 'append') {
            for (const leaf of makeLeaves(seed, n % 40, tree.size)) {
              tree.append(leaf);
              full.append(leaf);
            }
          }
          if (op === 'reload') {
            const bytes = tree.serialise();
            tree = MerkleTree.deserialise(bytes);
            assert.deepEqual(tree.serialise(), bytes);
            full = MerkleTree.deserialise(full.serialise());
          }
          assertAgrees(tree, full);
        }
        const reloaded = MerkleTree.deserialise(tree.serialise());
        assert.equal(reloaded.firstRetainedIndex, tree.firstRetainedIndex);
        assertAgrees(reloaded, full);
      }),
      { numRuns: 40 },
    );
  });

  it('keeps O(log n) nodes when retaining from the end, across chunk boundaries', () => {
    const size = 40_000; // more than two chunks of 16,384 leaves
    const leaves = makeLeaves(5, size + 1000);
    const tree = treeOf(leaves.slice(0, size));
    const full = MerkleTree.deserialise(tree.serialise());
    assert.deepEqual(full.root(), oracleRoot(leaves.slice(0, size)));
    tree.retainFrom(size);
    assert.ok(tree.serialise().length <= 20 + 32 + 2 * 16 * 32, `serialised ${tree.serialise().length} bytes`);
    const reloaded = MerkleTree.deserialise(tree.serialise());
    for (const t of [tree, reloaded]) {
      assert.deepEqual(t.root(), full.root());
      assert.throws(() => t.path(size - 1), /forgotten by retainFrom\(40000\)/);
    }
    for (const leaf of leaves.slice(size)) {
      full.append(leaf);
      reloaded.append(leaf);
    }
    assert.deepEqual(reloaded.root(), full.root());
    for (const index of [size, size + 1, size + 517, size + 999]) assert.deepEqual(reloaded.path(index), full.path(index));

    // Retain part-way through a chunk, then keep going: proofs still match the full tree.
    reloaded.retainFrom(size + 300);
    reloaded.truncate(size + 700);
    full.truncate(size + 700);
    assert.deepEqual(reloaded.path(size + 300, size + 301), full.path(size + 300, size + 301));
    assert.deepEqual(reloaded.root(), full.root());
  });

  it('rejects truncated, altered and garbage bytes with an Error', () => {
    const tree = treeOf(makeLeaves(6, 37));
    tree.retainFrom(11);
    const bytes = tree.serialise();
    for (let length = 0; length < bytes.length; length++) {
      assert.throws(() => MerkleTree.deserialise(bytes.subarray(0, length)), Error, `prefix of ${length} bytes`);
    }
    assert.throws(() => MerkleTree.deserialise(Buffer.concat([bytes, Buffer.alloc(32)])), /needs/);
    for (let at = 0; at < bytes.length; at++) {
      assert.throws(() => MerkleTree.deserialise(flipByte(bytes, at)), /Merkle tree: /, `byte ${at} flipped`);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (garbage) => {
        assert.throws(() => MerkleTree.deserialise(garbage), /Merkle tree: /);
      }),
    );
  });
});

describe('MerkleTree bounds', () => {
  it('refuses out-of-range arguments with a clear error', () => {
    const tree = treeOf(makeLeaves(7, 10));
    assert.throws(() => tree.append(Buffer.alloc(31)), /32-byte digest/);
    assert.throws(() => tree.append(Buffer.alloc(33)), /32-byte digest/);
    assert.throws(() => tree.rootAt(11), RangeError);
    assert.throws(() => tree.rootAt(-1), RangeError);
    assert.throws(() => tree.rootAt(2.5), RangeError);
    assert.throws(() => tree.leaf(10), RangeError);
    assert.throws(() => tree.path(10), RangeError);
    assert.throws(() => tree.path(3, 3), RangeError);
    assert.throws(() => tree.path(0, 0), RangeError);
    assert.throws(() => tree.path(0, 11), RangeError);
    assert.throws(() => tree.truncate(11), RangeError);
    assert.throws(() => tree.retainFrom(11), RangeError);
    assert.throws(() => new MerkleTree().path(0), RangeError);
    tree.retainFrom(6);
    assert.throws(() => tree.retainFrom(5), RangeError, 'forgotten leaves do not come back');
    assert.throws(() => tree.truncate(5), RangeError);
    assert.throws(() => tree.path(5), /leaf 5 was forgotten by retainFrom\(6\)/);
    assert.equal(tree.size, 10);
    assert.equal(tree.firstRetainedIndex, 6);
  });
});
