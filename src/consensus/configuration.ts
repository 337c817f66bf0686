// Which nodes vote, and what a quorum is, as CCF reconfigures (its "one-transaction
// reconfiguration", a form of joint consensus, Raft thesis §4.3). A log entry may carry a
// configuration: the complete set of voting nodes from that entry on. It takes effect as
// soon as it is in the log, committed or not (thesis §4.1), and goes with its entry if that
// is rolled back. The *active* configurations are the last one at or before the commit
// seqno plus every later one; an election or a commit needs a majority of EACH, so while a
// change is in flight the old and the new configuration must both agree. Once a later
// configuration commits, the older ones are forgotten.
//
// An empty configuration is no configuration: it is what a joiner knows before its log
// holds one (CCF's joiner likewise starts with an empty list of configurations). It is
// never placed among the active ones, since nobody can form a majority of it: a node
// holding it would lose every election before asking for a vote, and so never learn the
// commit that would forget it. Until a node learns a committed configuration, every
// configuration in its log is active: a superset of the thesis's rule (the newest in the
// log, §4.1), so no quorum it forms is smaller than one the thesis requires.
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
  /**
   * Oldest first: the last one at or before the commit seqno (when the log holds one
   * there), then every later one. Empty only while no configuration is known.
   */
  readonly #placed: Placed[];
  #commitSeqno = 0;
  #active: readonly Configuration[] = [];
  #members = new Set<string>();
  #peers: readonly string[] = [];

  /** `initial` may be empty: a joining node knows no configuration until its log has one. */
  constructor(readonly id: string, initial: Configuration) {
    if (initial.length > 0) assertConfiguration(initial);
    this.#placed = initial.length === 0 ? [] : [{ seqno: 0, nodes: [...initial] }];
    this.#derive();
  }

  /**
   * A restarted node's configurations, from its durable log and commit seqno alone: the
   * last configuration at or before the commit seqno, plus every configuration in the
   * uncommitted suffix (CCF rebuilds its list the same way as it replays its ledger).
   */
  static fromLog(id: string, initial: Configuration, log: Iterable<{ readonly seqno: number; readonly configuration?: Configuration }>, commitSeqno: number): ActiveConfigurations {
    const configurations = new ActiveConfigurations(id, initial);
    for (const entry of log) if (entry.configuration !== undefined) configurations.appended(entry.seqno, entry.configuration);
    configurations.committedTo(commitSeqno);
    return configurations;
  }

  /** Oldest first; the first is the newest committed one, if known (newestCommitted). */
  get active(): readonly Configuration[] { return this.#active; }
  /**
   * The last configuration at or before the commit seqno; undefined while the log holds
   * none there (a joiner that has not yet learnt a commit past its first configuration).
   */
  get newestCommitted(): Configuration | undefined {
    const first = this.#placed[0];
    return first !== undefined && first.seqno <= this.#commitSeqno ? first.nodes : undefined;
  }
  /** Every node of any active configuration but this one, in order of first appearance. */
  get peers(): readonly string[] { return this.#peers; }

  /** Whether `node` votes in any active configuration. */
  includes(node: string): boolean {
    return this.#members.has(node);
  }

  /**
   * Whether the nodes for which `agrees` holds are a majority of every active
   * configuration. Only a node of some configuration asks (a candidate or a primary).
   */
  hasQuorum(agrees: (node: string) => boolean): boolean {
    assert(this.#active.length > 0, 'a quorum of no configuration');
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
    assert(seqno >= this.#commitSeqno, `truncating after ${seqno} would lose configurations committed at ${this.#commitSeqno}`);
    const before = this.#placed.length;
    while ((this.#placed.at(-1)?.seqno ?? 0) > seqno) this.#placed.pop();
    if (this.#placed.length !== before) this.#derive();
  }

  /** Everything up to `seqno` is committed: configurations before the last one there are forgotten. */
  committedTo(seqno: number): void {
    assert(seqno >= this.#commitSeqno, `commit seqno must not decrease (${this.#commitSeqno} -> ${seqno})`);
    this.#commitSeqno = seqno;
    let newest = 0;
    while (newest + 1 < this.#placed.length && (this.#placed[newest + 1]?.seqno ?? Infinity) <= seqno) newest++;
    if (newest === 0) return;
    this.#placed.splice(0, newest);
    this.#derive();
  }

  #derive(): void {
    this.#active = this.#placed.map((placed) => placed.nodes);
    assert(this.#active.every((nodes) => nodes.length > 0), 'an empty configuration is never active');
    this.#members = new Set(this.#active.flat());
    this.#peers = [...this.#members].filter((node) => node !== this.id);
  }
}
