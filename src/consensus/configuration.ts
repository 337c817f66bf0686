// Which nodes vote, and what a quorum is, as CCF reconfigures (its "one-transaction
// reconfiguration", a form of joint consensus, Raft thesis §4.3). A log entry may carry a
// configuration: the complete set of voting nodes from that entry on. It takes effect as
// soon as it is in the log, committed or not (thesis §4.1), and goes with its entry if that
// is rolled back. The *active* configurations are the last one at or before the commit
// seqno plus every later one; an election or a commit needs a majority of EACH, so while a
// change is in flight the old and the new configuration must both agree. Once a later
// configuration commits, the older ones are forgotten.
import assert from 'node:assert/strict';

/** Every voting node of one configuration. */
export type Configuration = readonly string[];

/** Asserts that `nodes` is a usable configuration: at least one node, none twice. */
export function assertConfiguration(nodes: Configuration): void {
  assert(nodes.length > 0, 'a configuration needs at least one node');
  assert.equal(new Set(nodes).size, nodes.length, `configuration lists a node twice: ${nodes.join(', ')}`);
}

/** Whether the nodes for which `agrees` holds are a majority of `configuration` (never of an empty one). */
export function hasMajority(configuration: Configuration, agrees: (node: string) => boolean): boolean {
  let count = 0;
  for (const node of configuration) if (agrees(node)) count++;
  return count >= Math.floor(configuration.length / 2) + 1;
}

interface Placed {
  /** Seqno of the entry that set it; 0 for the configuration before the first entry. */
  readonly seqno: number;
  readonly nodes: Configuration;
}

/** The active configurations of one node, kept in step with its log and commit seqno. */
export class ActiveConfigurations {
  /** Oldest first. [0] is at or before the commit seqno; the rest are after it. */
  readonly #placed: Placed[];
  #active: readonly Configuration[] = [];
  #members = new Set<string>();
  #peers: readonly string[] = [];

  /** `initial` may be empty: a joining node knows no configuration until its log has one. */
  constructor(readonly id: string, initial: Configuration) {
    this.#placed = [{ seqno: 0, nodes: [...initial] }];
    this.#derive();
  }

  /** Oldest first; the first is the newest committed one. */
  get active(): readonly Configuration[] { return this.#active; }
  /** The last configuration at or before the commit seqno. */
  get newestCommitted(): Configuration { return this.#active[0] ?? assert.fail('no configuration'); }
  /** Every node of any active configuration but this one, in order of first appearance. */
  get peers(): readonly string[] { return this.#peers; }

  /** Whether `node` votes in any active configuration. */
  includes(node: string): boolean {
    return this.#members.has(node);
  }

  /** Whether the nodes for which `agrees` holds are a majority of every active configuration. */
  hasQuorum(agrees: (node: string) => boolean): boolean {
    return this.#active.every((configuration) => hasMajority(configuration, agrees));
  }

  /** The entry at `seqno` (after every one seen so far) carries `nodes`. */
  appended(seqno: number, nodes: Configuration): void {
    assertConfiguration(nodes);
    assert(seqno > (this.#placed.at(-1)?.seqno ?? 0), 'configurations must be appended in seqno order');
    this.#placed.push({ seqno, nodes: [...nodes] });
    this.#derive();
  }

  /** The log lost every entry after `seqno`, and the configurations they carried. */
  truncatedAfter(seqno: number): void {
    const before = this.#placed.length;
    while ((this.#placed.at(-1)?.seqno ?? 0) > seqno) this.#placed.pop();
    assert(this.#placed.length > 0, 'the committed configuration is never truncated');
    if (this.#placed.length !== before) this.#derive();
  }

  /** Everything up to `seqno` is committed: configurations before the last one there are forgotten. */
  committedTo(seqno: number): void {
    let newest = 0;
    while (newest + 1 < this.#placed.length && (this.#placed[newest + 1]?.seqno ?? Infinity) <= seqno) newest++;
    if (newest === 0) return;
    this.#placed.splice(0, newest);
    this.#derive();
  }

  #derive(): void {
    this.#active = this.#placed.map((placed) => placed.nodes);
    this.#members = new Set(this.#active.flat());
    this.#peers = [...this.#members].filter((node) => node !== this.id);
  }
}
