// Governing a sandbox from a test, through raw HTTP: requests signed (COSE Sign1) with
// the members' keys from the sandbox's workspace and sent as application/cose. Used by
// the governance end-to-end test, and by the tests that add a node to a sandbox, whose
// service is open (the sandbox opens it): there members trust the new node by vote.
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MEMBER_NAMES } from '../../src/cli/sandbox-workspace.js';
import { CocoClient, type CocoResponse } from '../../src/client/index.js';
import { certificateFingerprint } from '../../src/crypto/certificate.js';
import { privateKeyFromPem } from '../../src/crypto/keys.js';
import { signGovernanceRequest, type GovernanceMessageType } from '../../src/gov/index.js';
import { eventually, NotYet } from './cluster-fixture.js';

export const ACCEPT_BALLOT = JSON.stringify({ ballot: 'export function vote (proposal, proposerId) { return true }' });

export interface Member {
  readonly name: string;
  readonly id: string;
  readonly privateKey: KeyObject;
  /** Requests signed so far: each is dated a second earlier, so equal contents never collide as replays. */
  signed: number;
}

export interface Outcome {
  readonly proposal_id: string;
  readonly state: string;
  readonly ballot_count: number;
}

export interface GovNode {
  readonly node_id: string;
  readonly status: string;
  readonly cert: string;
  readonly node_to_node_address: string;
}

export type Action = { readonly name: string; readonly args?: unknown };

export class Governor {
  private constructor(
    readonly client: CocoClient,
    readonly members: readonly Member[],
  ) {}

  /** The sandbox's members (keys from `workspace`), talking to the node at `rpc`. */
  static connect(workspace: string, rpc: string, serviceCertificate: string): Governor {
    const members = MEMBER_NAMES.map((name) => ({
      name,
      id: certificateFingerprint(readFileSync(join(workspace, `${name}_cert.pem`), 'utf8')),
      privateKey: privateKeyFromPem(readFileSync(join(workspace, `${name}_privk.pem`), 'utf8')),
      signed: 0,
    }));
    return new Governor(CocoClient.connect({ url: `https://${rpc}`, serviceCertificate, timeoutMs: 15_000 }), members);
  }

  sign(member: Member, type: GovernanceMessageType, payload: string, proposalId?: string): Buffer {
    member.signed += 1;
    return signGovernanceRequest({
      privateKey: member.privateKey,
      memberId: member.id,
      type,
      createdAtSeconds: Math.floor(Date.now() / 1000) - (member.signed % 100),
      ...(proposalId === undefined ? {} : { proposalId }),
      payload,
    });
  }

  send(path: string, body: Buffer): Promise<CocoResponse> {
    return this.client.post(path, body, { headers: { 'content-type': 'application/cose' } });
  }

  async read<T>(path: string): Promise<T> {
    return ok<T>(await this.client.get(path), `GET ${path}`);
  }

  /** Proposes as the first member, then votes yes member after member until the proposal leaves Open. */
  async pass(actions: readonly Action[]): Promise<{ outcome: Outcome; ballots: number }> {
    const [proposer] = this.members as [Member];
    const made = ok<Outcome>(await this.send('/gov/proposals', this.sign(proposer, 'proposal', JSON.stringify({ actions }))), `propose ${actions[0]?.name ?? ''}`);
    let outcome = made;
    let ballots = 0;
    for (const member of this.members) {
      if (outcome.state !== 'Open') break;
      outcome = ok<Outcome>(await this.send(`/gov/proposals/${made.proposal_id}/ballots`, this.sign(member, 'ballot', ACCEPT_BALLOT, made.proposal_id)), `ballot of ${member.name}`);
      ballots += 1;
    }
    return { outcome, ballots };
  }

  /** As pass(), and the proposal must end Accepted. */
  async passed(actions: readonly Action[]): Promise<Outcome> {
    const { outcome, ballots } = await this.pass(actions);
    assert.equal(outcome.state, 'Accepted', `${actions[0]?.name ?? ''}: ${JSON.stringify(outcome)}`);
    return { ...outcome, ballot_count: ballots };
  }

  /** Waits until exactly one node is Pending, other than `except`, and returns its id; `check` may fail the wait (a process exited). */
  async pendingNode(timeoutMs: number, check: () => void = () => {}, except: ReadonlySet<string> = new Set()): Promise<string> {
    return eventually('a node is recorded Pending', timeoutMs, async () => {
      check();
      const { nodes } = await this.read<{ nodes: GovNode[] }>('/gov/service/nodes');
      const pending = nodes.filter((node) => node.status === 'Pending' && !except.has(node.node_id));
      return pending.length === 1 ? (pending[0] as GovNode).node_id : new NotYet(JSON.stringify(nodes.map((node) => node.status)));
    }, 100);
  }

  /** Members trust a Pending node: a transition_node_to_trusted proposal, accepted. */
  async trust(nodeId: string): Promise<void> {
    await this.passed([{ name: 'transition_node_to_trusted', args: { node_id: nodeId } }]);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

export function ok<T>(response: CocoResponse, what: string): T {
  assert.equal(response.status, 200, `${what}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as T;
}
