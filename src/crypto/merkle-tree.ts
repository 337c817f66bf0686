// The ledger's history tree: an append-only Merkle tree over transaction leaves with the
// shape of RFC 9162 §2.1.1. Its root is what signature transactions sign; its inclusion
// paths are what receipts carry. docs/merkle-tree.md specifies the hashing rule and the
// serialised form precisely enough for an independent verifier.
import { strict as assert } from 'node:assert';
import { toBuffer, u64be } from './bytes.js';
import { SHA256_BYTES, sha256 } from './hash.js';

/** One sibling on the way up: on the `left` of the current node, or on its `right`. */
export type MerklePathStep = { left: Buffer } | { right: Buffer };
/** Siblings from the leaf up to the root. */
export type MerklePath = MerklePathStep[];

const NODE_BYTES = SHA256_BYTES;
const INTERIOR_PREFIX = Buffer.from([0x01]);
// RFC 9162 §2.1.1: the hash of an empty list is the hash of an empty string.
const EMPTY_ROOT = sha256();
/** Leaf counts and indices are JS numbers: beyond this, their arithmetic loses precision. */
const LEAVES_MAX = Number.MAX_SAFE_INTEGER;

// Each height stores its nodes in fixed-size chunks rather than one growing buffer, so
// growth never copies the whole level (no pause at 100,000 appends/s), retainFrom frees
// whole chunks, and no level runs into Buffer's size limit. Both sizes are even, so a
// node and its sibling always share a chunk.
const CHUNK_NODES = 16_384; // 512 KiB
const FIRST_CHUNK_NODES = 16; // a small tree does not pay for full chunks

const MAGIC = Buffer.from('CMT1', 'latin1'); // serialised form, version 1
const HEADER_BYTES = MAGIC.length + 8 + 8; // magic, size, firstRetainedIndex
const CHECKSUM_BYTES = SHA256_BYTES;

const POW2: readonly number[] = Array.from({ length: 54 }, (_, h) => 2 ** h);

/** floor(value / 2^h), exact for safe integers (unlike `>>`, which is 32-bit). */
function shift(value: number, h: number): number {
  return Math.floor(value / (POW2[h] as number));
}

function evenFloor(value: number): number {
  return value - (value % 2);
}

/** floor(log2(value)) for a safe integer value >= 1. */
function floorLog2(value: number): number {
  return value < 2 ** 32 ? 31 - Math.clz32(value) : 63 - Math.clz32(Math.floor(value / 2 ** 32));
}

/** Number of heights that hold at least one node in a tree of `size` leaves. */
function heightCount(size: number): number {
  return size === 0 ? 0 : floorLog2(size) + 1;
}

/** Which stored node a leaf's retained ancestors need at height h: the even one of the pair. */
function retainedNodeFrom(firstRetainedIndex: number, h: number): number {
  return evenFloor(shift(firstRetainedIndex, h));
}

function checkRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`Merkle tree: ${name} ${value} is outside [${min}, ${max}]`);
  }
}

/** SHA-256(0x01 || left || right): an interior node (RFC 9162 §2.1.1). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== NODE_BYTES || right.length !== NODE_BYTES) {
    assert.fail(`Merkle tree: children are ${NODE_BYTES}-byte digests, got ${left.length} and ${right.length} bytes`);
  }
  return sha256(INTERIOR_PREFIX, left, right);
}

/**
 * The perfect subtrees of one height h: node x is the hash of leaves [x·2^h, (x+1)·2^h).
 * Nodes [lo, end) are kept; those below lo were forgotten by retainFrom.
 */
class Level {
  private readonly chunks: Buffer[] = [];
  /** Node index at the first byte of chunks[0]; a multiple of CHUNK_NODES. */
  private base: number;
  lo: number;
  end: number;

  constructor(
    readonly height: number,
    lo: number,
  ) {
    this.base = lo - (lo % CHUNK_NODES);
    this.lo = lo;
    this.end = lo;
  }

  /** Appends one or more consecutive nodes. */
  push(nodes: Uint8Array): void {
    assert(nodes.length % NODE_BYTES === 0, 'Merkle tree: nodes are whole digests');
    for (let at = 0; at < nodes.length; ) {
      const position = this.end - this.base;
      const c = Math.floor(position / CHUNK_NODES);
      const offset = (position - c * CHUNK_NODES) * NODE_BYTES;
      let chunk = this.chunks[c];
      if (chunk === undefined || offset >= chunk.length) chunk = this.grow(c, offset);
      const bytes = Math.min(chunk.length - offset, nodes.length - at);
      chunk.set(bytes === nodes.length ? nodes : nodes.subarray(at, at + bytes), offset);
      at += bytes;
      this.end += bytes / NODE_BYTES;
    }
  }

  /** A view of node x: callers copy it before handing it out. */
  get(x: number): Buffer {
    assert(x < this.end, 'Merkle tree: asked for a node beyond the tree');
    if (x < this.lo) throw new RangeError(`Merkle tree: node ${x} at height ${this.height} was forgotten by retainFrom`);
    const position = x - this.base;
    const c = Math.floor(position / CHUNK_NODES);
    const offset = (position - c * CHUNK_NODES) * NODE_BYTES;
    return (this.chunks[c] as Buffer).subarray(offset, offset + NODE_BYTES);
  }

  /** hashChildren of the last two nodes, which are siblings (end is even). */
  hashLastPair(): Buffer {
    assert(this.end % 2 === 0, 'Merkle tree: only a completed pair is hashed');
    const position = this.end - 2 - this.base;
    const c = Math.floor(position / CHUNK_NODES);
    const offset = (position - c * CHUNK_NODES) * NODE_BYTES;
    return sha256(INTERIOR_PREFIX, (this.chunks[c] as Buffer).subarray(offset, offset + 2 * NODE_BYTES));
  }

  truncate(end: number): void {
    assert(this.lo <= end && end <= this.end, 'Merkle tree: a level is truncated within what it keeps');
    this.end = end;
    this.chunks.length = Math.min(this.chunks.length, Math.ceil((end - this.base) / CHUNK_NODES));
  }

  retainFrom(lo: number): void {
    assert(this.lo <= lo && lo <= this.end, 'Merkle tree: a level only forgets nodes it keeps');
    this.lo = lo;
    while (lo - this.base >= CHUNK_NODES) {
      this.chunks.shift();
      this.base += CHUNK_NODES;
    }
  }

  /** Copies nodes [lo, end) into out at offset; returns the offset after them. */
  copyTo(out: Buffer, offset: number): number {
    let at = offset;
    for (let x = this.lo; x < this.end; ) {
      const position = x - this.base;
      const c = Math.floor(position / CHUNK_NODES);
      const within = position - c * CHUNK_NODES;
      const count = Math.min(CHUNK_NODES - within, this.end - x);
      at += (this.chunks[c] as Buffer).copy(out, at, within * NODE_BYTES, (within + count) * NODE_BYTES);
      x += count;
    }
    return at;
  }

  private grow(c: number, offset: number): Buffer {
    assert(c === this.chunks.length || c === this.chunks.length - 1, 'Merkle tree: chunks fill in order');
    // Only the first chunk grows by doubling; later ones start full-size.
    let nodes = c === 0 ? FIRST_CHUNK_NODES : CHUNK_NODES;
    while (nodes * NODE_BYTES <= offset) nodes *= 2;
    const chunk = Buffer.alloc(Math.min(nodes, CHUNK_NODES) * NODE_BYTES);
    this.chunks[c]?.copy(chunk);
    this.chunks[c] = chunk;
    return chunk;
  }
}

export class MerkleTree {
  private levels: Level[] = [];
  private leafCount = 0;
  private retainedFrom = 0;
  private cachedRoot: Buffer | undefined;

  /** Number of leaves appended, including forgotten ones. */
  get size(): number {
    return this.leafCount;
  }

  /** Leaves below this index were forgotten by retainFrom. */
  get firstRetainedIndex(): number {
    return this.retainedFrom;
  }

  append(leaf: Uint8Array): void {
    if (leaf.length !== NODE_BYTES) assert.fail(`Merkle tree: a leaf is a ${NODE_BYTES}-byte digest, got ${leaf.length} bytes`);
    assert(this.leafCount < LEAVES_MAX, 'Merkle tree: too many leaves');
    // Each node that completes a pair pushes their parent one height up: n leaves make
    // n - 1 parents, so one hash per append on average.
    let node: Uint8Array = leaf;
    let x = this.leafCount;
    for (let h = 0; ; h++) {
      const level = this.levels[h] ?? this.addLevel(h);
      level.push(node);
      if (x % 2 === 0) break;
      node = level.hashLastPair();
      x = (x - 1) / 2;
    }
    this.leafCount++;
    this.cachedRoot = undefined;
  }

  /** Root over all leaves. */
  root(): Buffer {
    this.cachedRoot ??= this.prefixHash(this.leafCount);
    return Buffer.from(this.cachedRoot);
  }

  /**
   * Root of the tree of the first treeSize leaves. Sizes below firstRetainedIndex work
   * only while the nodes they need are kept; otherwise this throws a RangeError.
   */
  rootAt(treeSize: number): Buffer {
    checkRange('treeSize', treeSize, 0, this.leafCount);
    if (treeSize === this.leafCount) return this.root();
    return Buffer.from(this.prefixHash(treeSize));
  }

  leaf(index: number): Buffer {
    this.checkRetained(index);
    checkRange('leaf index', index, this.retainedFrom, this.leafCount - 1);
    return Buffer.from(this.node(0, index));
  }

  /** Inclusion proof of leaf `index` in the tree of the first treeSize leaves (RFC 9162 §2.1.3.1). */
  path(index: number, treeSize: number = this.leafCount): MerklePath {
    checkRange('treeSize', treeSize, 1, this.leafCount);
    this.checkRetained(index);
    checkRange('leaf index', index, this.retainedFrom, treeSize - 1);
    // PATH(m, D[start:start+n]) unrolled from the root down, then reversed: split at the
    // largest power of two k < n; the sibling is the half that does not hold the leaf.
    const steps: MerklePathStep[] = [];
    let start = 0;
    let n = treeSize;
    while (n > 1) {
      const h = floorLog2(n - 1);
      const k = POW2[h] as number;
      if (index < start + k) {
        steps.push({ right: Buffer.from(this.rangeHash(start + k, n - k)) });
        n = k;
      } else {
        steps.push({ left: Buffer.from(this.node(h, start / k)) });
        start += k;
        n -= k;
      }
    }
    return steps.reverse();
  }

  /** Rolls back to the first treeSize leaves. */
  truncate(treeSize: number): void {
    checkRange('treeSize', treeSize, this.retainedFrom, this.leafCount);
    if (treeSize === this.leafCount) return;
    this.levels.length = heightCount(treeSize);
    this.levels.forEach((level, h) => level.truncate(shift(treeSize, h)));
    this.leafCount = treeSize;
    this.cachedRoot = undefined;
  }

  /**
   * Forgets what only proofs of leaves below index need. Kept at each height h: the
   * ancestors of leaves >= index and their siblings, i.e. nodes from evenFloor(index / 2^h)
   * on. These include the left perfect subtrees of every tree size >= index, so those roots
   * stay computable, and appending still finds every left sibling it hashes with.
   */
  retainFrom(index: number): void {
    checkRange('retained index', index, this.retainedFrom, this.leafCount);
    this.retainedFrom = index;
    this.levels.forEach((level, h) => level.retainFrom(retainedNodeFrom(index, h)));
  }

  /** The compact form of docs/merkle-tree.md §Serialised form: only the nodes kept. */
  serialise(): Buffer {
    let bytes = HEADER_BYTES + CHECKSUM_BYTES;
    for (const level of this.levels) bytes += (level.end - level.lo) * NODE_BYTES;
    const out = Buffer.alloc(bytes);
    let offset = MAGIC.copy(out, 0);
    offset += u64be(this.leafCount).copy(out, offset);
    offset += u64be(this.retainedFrom).copy(out, offset);
    for (const level of this.levels) offset = level.copyTo(out, offset);
    sha256(out.subarray(0, offset)).copy(out, offset);
    assert.equal(offset + CHECKSUM_BYTES, out.length, 'Merkle tree: serialised length');
    return out;
  }

  /** Reads serialise()'s form; throws an Error naming the fault on anything else. */
  static deserialise(bytes: Uint8Array): MerkleTree {
    const input = toBuffer(bytes);
    if (input.length < HEADER_BYTES + CHECKSUM_BYTES) {
      throw new Error(`Merkle tree: ${input.length} bytes is too short for a serialised tree`);
    }
    if (!input.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('Merkle tree: not a serialised tree (bad magic)');
    const size = readCount(input, MAGIC.length, 'size');
    const retainedFrom = readCount(input, MAGIC.length + 8, 'firstRetainedIndex');
    if (retainedFrom > size) throw new Error(`Merkle tree: firstRetainedIndex ${retainedFrom} exceeds size ${size}`);
    let expected = HEADER_BYTES + CHECKSUM_BYTES;
    for (let h = 0; h < heightCount(size) && expected <= input.length; h++) {
      expected += (shift(size, h) - retainedNodeFrom(retainedFrom, h)) * NODE_BYTES;
    }
    if (expected !== input.length) {
      throw new Error(`Merkle tree: ${input.length} bytes, but size ${size} retained from ${retainedFrom} needs ${expected > input.length ? 'more' : expected}`);
    }
    const body = input.subarray(0, input.length - CHECKSUM_BYTES);
    if (!sha256(body).equals(input.subarray(body.length))) throw new Error('Merkle tree: checksum mismatch');

    const tree = new MerkleTree();
    tree.leafCount = size;
    tree.retainedFrom = retainedFrom;
    let offset = HEADER_BYTES;
    for (let h = 0; h < heightCount(size); h++) {
      const level = tree.addLevel(h);
      const bytes = (shift(size, h) - level.lo) * NODE_BYTES;
      level.push(body.subarray(offset, offset + bytes));
      offset += bytes;
    }
    assert.equal(offset, body.length, 'Merkle tree: deserialise read every node');
    return tree;
  }

  private addLevel(h: number): Level {
    assert.equal(h, this.levels.length, 'Merkle tree: heights are added one at a time');
    const level = new Level(h, retainedNodeFrom(this.retainedFrom, h));
    this.levels.push(level);
    return level;
  }

  private node(h: number, x: number): Buffer {
    const level = this.levels[h];
    assert(level !== undefined, 'Merkle tree: asked for a node above the tree');
    return level.get(x);
  }

  private checkRetained(index: number): void {
    if (Number.isSafeInteger(index) && index >= 0 && index < this.retainedFrom) {
      throw new RangeError(`Merkle tree: leaf ${index} was forgotten by retainFrom(${this.retainedFrom})`);
    }
  }

  /** MTH(D[0:n]); may be a view of a stored node, so callers copy it. */
  private prefixHash(n: number): Buffer {
    return n === 0 ? EMPTY_ROOT : this.rangeHash(0, n);
  }

  /**
   * MTH(D[start:start+n]) for n >= 1, start a multiple of the largest power of two <= n.
   * RFC 9162 §2.1.1 splits at the largest power of two below n, so this is n's binary
   * decomposition into stored perfect subtrees, largest first, folded from the right:
   * popcount(n) - 1 hashes.
   */
  private rangeHash(start: number, n: number): Buffer {
    let acc: Buffer | undefined;
    let end = start + n;
    let rest = n;
    for (let h = 0; rest > 0; h++, rest = Math.floor(rest / 2)) {
      if (rest % 2 === 0) continue;
      const width = POW2[h] as number;
      end -= width;
      const peak = this.node(h, end / width);
      acc = acc === undefined ? peak : hashChildren(peak, acc);
    }
    assert(acc !== undefined && end === start, 'Merkle tree: a range hash covers its range');
    return acc;
  }
}

function readCount(input: Buffer, offset: number, name: string): number {
  const value = input.readBigUInt64BE(offset);
  if (value > BigInt(LEAVES_MAX)) throw new Error(`Merkle tree: ${name} ${value} is too large`);
  return Number(value);
}

/** A step has exactly one side; anything else is not a path step. */
function isOneSided(step: MerklePathStep): boolean {
  return ('left' in step) !== ('right' in step);
}

/** The root a leaf leads to along a path. Throws if a step or digest is malformed. */
export function rootFromPath(leaf: Uint8Array, path: MerklePath): Buffer {
  if (leaf.length !== NODE_BYTES) assert.fail(`Merkle tree: a leaf is a ${NODE_BYTES}-byte digest, got ${leaf.length} bytes`);
  let acc: Buffer = Buffer.from(leaf);
  for (const step of path) {
    assert(isOneSided(step), 'Merkle tree: a path step has exactly one of left or right');
    acc = 'left' in step ? hashChildren(step.left, acc) : hashChildren(acc, step.right);
  }
  return acc;
}

/**
 * Whether the path's left/right pattern (and so its length) is exactly the one leaf
 * `index` has in a tree of treeSize leaves (RFC 9162 §2.1.3.1), so that a verified
 * receipt also proves its leaf's position, not just its membership.
 */
export function pathMatchesIndex(path: MerklePath, index: number, treeSize: number): boolean {
  if (!Number.isSafeInteger(treeSize) || !Number.isSafeInteger(index) || index < 0 || index >= treeSize) return false;
  const sides: Array<'left' | 'right'> = [];
  let start = 0;
  let n = treeSize;
  while (n > 1) {
    const k = POW2[floorLog2(n - 1)] as number;
    if (index < start + k) {
      sides.push('right');
      n = k;
    } else {
      sides.push('left');
      start += k;
      n -= k;
    }
  }
  if (sides.length !== path.length) return false;
  return path.every((step, i) => isOneSided(step) && ('left' in step ? 'left' : 'right') === sides[sides.length - 1 - i]);
}
