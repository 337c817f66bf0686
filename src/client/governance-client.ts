// A member's client for the /gov endpoints: every request that changes governance is
// signed with the member's key (member-signer.ts) and sent as application/cose; reads
// are plain GETs. It rides on a CocoClient, so it trusts only the service certificate;
// the TLS client certificate is optional, since the signature is what authenticates a
// member. A refusal rejects with the node's CocoHttpError (its code says why:
// `MemberNotActive`, `ProposalNotOpen`, ...); an answer of the wrong shape with a
// CocoTransportError BAD_RESPONSE. docs/client.md shows use.
import { CocoClient, type ConnectOptions } from './coco-client.js';
import type { CocoResponse } from './coco-response.js';
import { CocoTransportError } from './coco-transport-error.js';
import {
  ballotSource,
  isGovernanceId,
  isProposalState,
  type Ballot,
  type Proposal,
  type ProposalAction,
  type ProposalOutcome,
  type ProposalRecord,
} from './governance-types.js';
import { MemberSigner, type GovernanceMessageType } from './member-signer.js';
import { ok } from './ok.js';

export const COSE_CONTENT_TYPE = 'application/cose';

export interface GovernanceConnectOptions {
  /** The node, `https://host:port`. */
  readonly url: string;
  /** PEM: the only certificate trusted. */
  readonly serviceCertificate: string;
  /** The member's certificate (PEM): its SHA-256 is the member id every request names. */
  readonly signingCertificate: string;
  /** The member's private key (PEM): it signs every request. */
  readonly signingKey: string;
  /** Also present the member's certificate as the TLS client certificate (not needed for /gov). */
  readonly tlsClientCertificate?: boolean;
  readonly timeoutMs?: number;
  /** The clock requests are dated by (the service refuses requests more than 5 minutes old). */
  readonly now?: () => Date;
}

/** A member's record, as an ack answers it: its id, status (`Accepted` or `Active`), certificate, ... */
export interface MemberStatus {
  readonly member_id: string;
  readonly status: string;
  readonly [field: string]: unknown;
}

/** The /gov/service/... read-only views. */
export type ServiceView = 'info' | 'members' | 'users' | 'nodes' | 'constitution' | 'code-ids' | 'tee-platforms';

export class GovernanceClient {
  private constructor(
    /** The connection the requests go over. */
    readonly client: CocoClient,
    readonly signer: MemberSigner,
    private readonly ownsClient: boolean,
  ) {}

  /** Checks the options and returns a client; the connection opens with the first request. */
  static connect(options: GovernanceConnectOptions): GovernanceClient {
    const signer = MemberSigner.fromPem(options.signingCertificate, options.signingKey, options.now === undefined ? {} : { now: options.now });
    const connect: ConnectOptions = {
      url: options.url,
      serviceCertificate: options.serviceCertificate,
      ...(options.tlsClientCertificate === true ? { certificate: options.signingCertificate, privateKey: options.signingKey } : {}),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    };
    return new GovernanceClient(CocoClient.connect(connect), signer, true);
  }

  /** Governs over an existing connection; close() then leaves that connection open. */
  static over(client: CocoClient, signer: MemberSigner): GovernanceClient {
    return new GovernanceClient(client, signer, false);
  }

  /** This member's id: hex SHA-256 of its certificate. */
  get memberId(): string {
    return this.signer.memberId;
  }

  /** POST /gov/proposals: submits a proposal (an object, or its JSON text as it should be signed). */
  async propose(proposal: Proposal | string): Promise<ProposalOutcome> {
    const text = typeof proposal === 'string' ? proposal : JSON.stringify(proposal);
    if (text === undefined) throw new TypeError('a proposal is {"actions": [{"name", "args"}]}');
    const response = await this.signed('/gov/proposals', 'proposal', text);
    return checkOutcome(this.client.url, response, response.body);
  }

  /** POST /gov/proposals/{id}/ballots: votes; the answer is the proposal's state after the ballot. */
  async vote(proposalId: string, ballot: Ballot): Promise<ProposalOutcome> {
    const source = ballotSource(ballot);
    const response = await this.signed(`/gov/proposals/${checkedId(proposalId, 'proposal id')}/ballots`, 'ballot', JSON.stringify({ ballot: source }), proposalId);
    return checkOutcome(this.client.url, response, response.body);
  }

  accept(proposalId: string): Promise<ProposalOutcome> {
    return this.vote(proposalId, 'accept');
  }

  reject(proposalId: string): Promise<ProposalOutcome> {
    return this.vote(proposalId, 'reject');
  }

  /** POST /gov/proposals/{id}/withdraw: only the proposer may, while it is Open. */
  async withdraw(proposalId: string): Promise<ProposalOutcome> {
    const response = await this.signed(`/gov/proposals/${checkedId(proposalId, 'proposal id')}/withdraw`, 'withdrawal', '', proposalId);
    return checkOutcome(this.client.url, response, response.body);
  }

  /** POST /gov/members/state-digests/update: records and returns the digest this member must acknowledge. */
  async updateStateDigest(): Promise<string> {
    const response = await this.signed('/gov/members/state-digests/update', 'state_digest', '');
    const digest = (response.body as { state_digest?: unknown } | undefined)?.state_digest;
    if (typeof digest !== 'string' || !/^[0-9a-f]+$/.test(digest)) throw badResponse(this.client.url, response, 'it has no state_digest (lowercase hex)');
    return digest;
  }

  /**
   * POST /gov/members/state-digests/ack: acknowledges `stateDigest`, or, if none is given,
   * asks for the current one first. An Accepted member becomes Active. Resolves to the
   * member's record after it: `{member_id, status, ...}`.
   */
  async ack(stateDigest?: string): Promise<MemberStatus> {
    const digest = stateDigest ?? (await this.updateStateDigest());
    const response = await this.signed('/gov/members/state-digests/ack', 'ack', JSON.stringify({ state_digest: digest }));
    const record = response.body as Partial<MemberStatus> | undefined;
    if (record?.member_id !== this.memberId || typeof record.status !== 'string') throw badResponse(this.client.url, response, 'it is not this member\'s record {member_id, status}');
    return record as MemberStatus;
  }

  /** GET /gov/proposals: every proposal, without ballots. */
  async proposals(): Promise<ProposalOutcome[]> {
    const response = ok(await this.client.get('/gov/proposals'));
    const list = (response.body as { proposals?: unknown } | undefined)?.proposals;
    if (!Array.isArray(list)) throw badResponse(this.client.url, response, 'it has no proposals array');
    return list.map((item) => checkOutcome(this.client.url, response, item));
  }

  /** GET /gov/proposals/{id}: one proposal's state (and its text, if the service includes it). */
  async proposal(proposalId: string): Promise<ProposalRecord> {
    const response = ok(await this.client.get(`/gov/proposals/${checkedId(proposalId, 'proposal id')}`));
    return checkOutcome(this.client.url, response, response.body) as ProposalRecord;
  }

  /** GET /gov/proposals/{id}/actions: what the proposal would do. */
  async proposalActions(proposalId: string): Promise<ProposalAction[]> {
    const response = ok(await this.client.get(`/gov/proposals/${checkedId(proposalId, 'proposal id')}/actions`));
    const actions = (response.body as { actions?: unknown } | undefined)?.actions;
    if (!Array.isArray(actions) || !actions.every((action) => typeof (action as { name?: unknown } | null)?.name === 'string')) {
      throw badResponse(this.client.url, response, 'it has no actions array of {name, args}');
    }
    return actions as ProposalAction[];
  }

  /** GET /gov/proposals/{id}/ballots/{member}: a member's ballot source (this member's by default). */
  async ballot(proposalId: string, memberId: string = this.memberId): Promise<string> {
    const path = `/gov/proposals/${checkedId(proposalId, 'proposal id')}/ballots/${checkedId(memberId, 'member id')}`;
    const response = ok(await this.client.get(path));
    const source = (response.body as { ballot?: unknown } | undefined)?.ballot;
    if (typeof source !== 'string') throw badResponse(this.client.url, response, 'it has no ballot source');
    return source;
  }

  /** GET /gov/service/{view}: the service's record, members, users, nodes, constitution, manifests. */
  async service(view: ServiceView): Promise<unknown> {
    return ok(await this.client.get(`/gov/service/${view}`)).body;
  }

  /** GET /gov/service/info: the service's status (`Opening` or `Open`) and certificate. */
  async serviceInfo(): Promise<{ readonly status: string; readonly [field: string]: unknown }> {
    const response = ok(await this.client.get('/gov/service/info'));
    const body = response.body as { status?: unknown } | undefined;
    if (typeof body?.status !== 'string') throw badResponse(this.client.url, response, 'it has no status');
    return body as { status: string };
  }

  /** Closes the connection, if this client opened it. */
  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  private async signed(path: string, type: GovernanceMessageType, payload: string, proposalId?: string): Promise<CocoResponse> {
    const body = this.signer.sign({ type, payload, ...(proposalId === undefined ? {} : { proposalId }) });
    return ok(await this.client.post(path, body, { headers: { 'content-type': COSE_CONTENT_TYPE } }));
  }
}

function checkedId(id: string, what: string): string {
  if (!isGovernanceId(id)) throw new TypeError(`${what} must be 64 lowercase hex characters: ${JSON.stringify(id)}`);
  return id;
}

function checkOutcome(url: string, response: CocoResponse, value: unknown): ProposalOutcome {
  const outcome = value as Partial<ProposalOutcome> | null | undefined;
  if (typeof outcome !== 'object' || outcome === null) throw badResponse(url, response, 'it is not a proposal object');
  if (!isGovernanceId(outcome.proposal_id)) throw badResponse(url, response, 'it has no proposal_id');
  if (!isProposalState(outcome.state)) throw badResponse(url, response, `its state ${JSON.stringify(outcome.state)} is not a proposal state`);
  return outcome as ProposalOutcome;
}

function badResponse(url: string, response: CocoResponse, why: string): CocoTransportError {
  const shown = JSON.stringify(response.body) ?? '';
  return new CocoTransportError('BAD_RESPONSE', url, response.method, response.path,
    `the ${response.status} answer is not what the governance API returns: ${why} (${shown.length > 200 ? `${shown.slice(0, 200)}…` : shown})`);
}
