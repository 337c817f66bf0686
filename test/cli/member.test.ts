// `coco member` and `coco proposal` against a real `coco sandbox` (one for the whole
// file), as a consortium uses them (docs/cli.md): the sandbox opened its service through
// a proposal and ballots; a user added by a proposal file and two ballots can call the
// logging app; a proposal is rejected by ballots (one a custom ballot file) and another
// withdrawn; --json prints what scripts parse; and every refusal by the service exits 1
// with its code, changing nothing.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keygen } from '../../src/cli/keygen-command.js';
import { CocoClient } from '../../src/client/index.js';
import { certificateFingerprint } from '../../src/crypto/certificate.js';
import { COCO, eventually, NotYet, readNetwork, SandboxProcess, signal } from './cluster-fixture.js';

const READY_LINE = /^Press Ctrl-C to stop\.$/m;
const SANDBOX_READY_TIMEOUT_MS = 45_000;
const ID = /^[0-9a-f]{64}$/;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe('coco member against a sandbox', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'coco-member-'));
  const workspace = join(root, 'ws');
  let sandbox: SandboxProcess | undefined;
  let url: string;
  let serviceCertificate: string;
  const clients: CocoClient[] = [];

  /** Runs the compiled CLI in the workspace, with the connection in the environment and `member`'s signing identity. */
  function coco(member: string | undefined, ...args: string[]): Promise<Run> {
    const env: NodeJS.ProcessEnv = { ...process.env, COCO_URL: url, COCO_SERVICE_CERT: 'service_cert.pem' };
    if (member !== undefined) Object.assign(env, { COCO_SIGNING_CERT: `${member}_cert.pem`, COCO_SIGNING_KEY: `${member}_privk.pem` });
    return new Promise((resolve) => {
      execFile(process.execPath, [COCO, ...args], { cwd: workspace, encoding: 'utf8', env }, (error, stdout, stderr) => {
        resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
      });
    });
  }

  async function succeeds(run: Promise<Run>): Promise<string> {
    const result = await run;
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    return result.stdout;
  }

  async function jsonOf<T>(run: Promise<Run>): Promise<T> {
    return JSON.parse(await succeeds(run)) as T;
  }

  /** Exit 1: the service refused, with `code` in the one-line message. */
  async function refused(run: Promise<Run>, code: string): Promise<string> {
    const result = await run;
    assert.equal(result.status, 1, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stderr, new RegExp(`^coco: the service refused: .* ${code}: `, 'm'));
    assert.equal(result.stdout, '');
    return result.stderr;
  }

  function user(name: string): CocoClient {
    const client = CocoClient.connect({
      url,
      serviceCertificate,
      certificate: readFileSync(join(workspace, `${name}_cert.pem`), 'utf8'),
      privateKey: readFileSync(join(workspace, `${name}_privk.pem`), 'utf8'),
      timeoutMs: 5_000,
    });
    clients.push(client);
    return client;
  }

  function memberId(name: string): string {
    return certificateFingerprint(readFileSync(join(workspace, `${name}_cert.pem`), 'utf8'));
  }

  before(async () => {
    sandbox = SandboxProcess.start(['--port', '0', '--workspace', workspace], root);
    await sandbox.waitFor(READY_LINE, SANDBOX_READY_TIMEOUT_MS);
    const [node0] = readNetwork(workspace);
    assert.ok(node0 !== undefined);
    url = `https://${node0.rpc}`;
    serviceCertificate = readFileSync(join(workspace, 'service_cert.pem'), 'utf8');
    await keygen({ name: 'user1', dir: workspace, curve: 'p384', encryption: false, now: new Date() });
  });

  after(async () => {
    for (const client of clients) await client.close();
    if (sandbox?.running === true) {
      signal(sandbox.pid, 'SIGTERM');
      if ((await sandbox.exitWithin(15_000)) === undefined) signal(sandbox.pid, 'SIGKILL');
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('the sandbox had every member acknowledge, then opened the service by proposal and ballots', async () => {
    const stdout = sandbox?.stdout ?? '';
    assert.match(stdout, /^member0, member1 and member2 acknowledged the state digest: all 3 members are Active\.$/m);
    const proposed = /^member0 proposed transition_service_to_open: proposal ([0-9a-f]{64}), Open\.$/m.exec(stdout);
    assert.ok(proposed !== null, stdout);
    assert.match(stdout, /^member1 voted to accept: Open\.\nmember2 voted to accept: Accepted\.\nThe service is Open\.$/m);
    assert.ok(stdout.indexOf('The service is Open.') < stdout.indexOf('Ready: '), 'opened before it says it is ready');

    const { proposals } = await jsonOf<{ proposals: { proposal_id: string; proposer_id: string; state: string; ballot_count: number }[] }>(coco('member1', 'member', 'proposals', '--json'));
    assert.deepEqual(proposals.map((proposal) => [proposal.proposal_id, proposal.proposer_id, proposal.state, proposal.ballot_count]), [[proposed[1], memberId('member0'), 'Accepted', 2]]);
    const listed = await succeeds(coco('member2', 'member', 'proposals'));
    assert.match(listed, new RegExp(`^${proposed[1]}  Accepted  2 ballots +proposed by ${memberId('member0').slice(0, 16)}…$`, 'm'));
  });

  it('adds a user by a proposal file and two ballots; the user can then call the logging app', async () => {
    const newcomer = user('user1');
    const before = await newcomer.post('/app/log/private', { id: 1, msg: 'too early' });
    assert.equal(before.status, 401, JSON.stringify(before.body));

    writeFileSync(join(workspace, 'set_user1.json'), await succeeds(coco(undefined, 'proposal', 'set_user', '--cert', 'user1_cert.pem')));
    const proposed = await jsonOf<Record<string, unknown>>(coco('member0', 'member', 'propose', 'set_user1.json', '--json'));
    assert.deepEqual(Object.keys(proposed), ['proposal_id', 'state']);
    assert.match(String(proposed.proposal_id), ID);
    assert.equal(proposed.state, 'Open');
    const id = proposed.proposal_id as string;

    assert.deepEqual(await jsonOf(coco('member0', 'member', 'vote', id, '--accept', '--json')), { proposal_id: id, state: 'Open' });
    const second = await succeeds(coco('member1', 'member', 'vote', id, '--accept'));
    assert.equal(second, `Voted to accept proposal ${id}: it is Accepted.\n`);

    const written = await eventually('user1 may write', 5_000, async () => {
      const response = await newcomer.post('/app/log/private', { id: 1, msg: 'hello from user1' });
      return response.status === 200 ? response : new NotYet(`${response.status} ${JSON.stringify(response.body)}`);
    });
    assert.ok(written.txId !== undefined);
    assert.deepEqual((await newcomer.get('/app/log/private', { query: { id: 1 } })).body, { msg: 'hello from user1' });
  });

  it('rejects a proposal by ballots, one a custom ballot file, and changes nothing', async () => {
    const proposedText = await succeeds(coco('member2', 'member', 'propose', 'remove_user', '--cert', 'user0_cert.pem'));
    const match = /^Proposal ([0-9a-f]{64}) is Open \(0 ballots\)\.\nMembers vote on it with: coco member vote \1 --accept \(or --reject\)\n$/.exec(proposedText);
    assert.ok(match !== null, proposedText);
    const id = match[1] as string;
    assert.equal(await succeeds(coco('member0', 'member', 'vote', id, '--reject')), `Voted to reject proposal ${id}: it is Open (1 ballot).\n`);
    writeFileSync(join(workspace, 'keep_users.js'), 'export function vote(proposal, proposerId) {\n  return !JSON.parse(proposal).actions.some((action) => action.name === "remove_user");\n}\n');
    assert.deepEqual(await jsonOf(coco('member1', 'member', 'vote', id, '--ballot', 'keep_users.js', '--json')), { proposal_id: id, state: 'Rejected' });
    assert.equal((await user('user0').get('/app/log/private', { query: { id: 1 } })).status !== 401, true, 'user0 is still a user');
    await refused(coco('member2', 'member', 'vote', id, '--accept'), 'ProposalNotOpen');
  });

  it('withdraws a proposal: only its proposer may, and then no one votes on it', async () => {
    const { proposal_id: id } = await jsonOf<{ proposal_id: string }>(coco('member1', 'member', 'propose', 'set_recovery_threshold', '--threshold', '2', '--json'));
    const notProposer = await refused(coco('member2', 'member', 'withdraw', id), 'NotProposer');
    assert.match(notProposer, /^coco: the service refused: POST \/gov\/proposals\/[0-9a-f]{64}\/withdraw: 403 NotProposer: /m);
    assert.deepEqual(await jsonOf(coco('member1', 'member', 'withdraw', id, '--json')), { proposal_id: id, state: 'Withdrawn' });
    await refused(coco('member0', 'member', 'vote', id, '--accept'), 'ProposalNotOpen');
    const { proposals } = await jsonOf<{ proposals: { proposal_id: string; state: string }[] }>(coco('member0', 'member', 'proposals', '--json'));
    assert.equal(proposals.find((proposal) => proposal.proposal_id === id)?.state, 'Withdrawn');
  });

  it('exits 1 with the service\'s code for a non-member, an invalid proposal, a second ballot and an unknown proposal', async () => {
    writeFileSync(join(workspace, 'bad_action.json'), '{"actions": [{"name": "set_userz", "args": {}}]}');
    const { proposal_id: open } = await jsonOf<{ proposal_id: string }>(coco('member0', 'member', 'propose', 'transition_service_to_open', '--json'));
    await succeeds(coco('member0', 'member', 'vote', open, '--accept'));
    const [stranger, invalid, twice, unknown] = await Promise.all([
      refused(coco('user1', 'member', 'propose', 'set_user1.json'), 'UnknownMember'),
      refused(coco('member0', 'member', 'propose', 'bad_action.json'), 'ProposalInvalid'),
      refused(coco('member0', 'member', 'vote', open, '--reject'), 'BallotAlreadySubmitted'),
      refused(coco('member0', 'member', 'vote', '00'.repeat(32), '--accept'), 'ProposalNotFound'),
    ]);
    assert.match(stranger, /\(the --signing-cert is not a member of this service\)$/m);
    assert.match(invalid, /unknown action "set_userz"/);
    assert.match(twice, /BallotAlreadySubmitted/);
    assert.match(unknown, /\(coco member proposals lists the proposals\)$/m);
  });

  it('acknowledges again: the member stays Active, and --json says so', async () => {
    const ack = await jsonOf<{ member_id: string; state_digest: string; status: string }>(coco('member2', 'member', 'ack', '--json'));
    assert.deepEqual([ack.member_id, ack.status], [memberId('member2'), 'Active']);
    assert.match(ack.state_digest, ID);
    assert.match(await succeeds(coco('member1', 'member', 'ack')), new RegExp(`^Member ${memberId('member1')} acknowledged state digest [0-9a-f]{64}: it is Active\\.\n$`));
  });
});
