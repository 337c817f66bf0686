// `coco proposal ACTION` and the checks every `coco member` command makes before it
// sends anything (docs/cli.md): each default action's flags build a proposal the default
// constitution accepts as valid; the command writes it to stdout; bad flags, files and
// ids exit 2 with one clear line, and an unreachable node exits 1. No service is needed:
// test/cli/member.test.ts runs the commands against a sandbox.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CliError } from '../../src/cli/cli-error.js';
import { keygen } from '../../src/cli/keygen-command.js';
import { ACTIONS, actionSpec, proposalOf, type ActionFlags } from '../../src/cli/proposal-actions.js';
import { certificateFingerprint } from '../../src/crypto/certificate.js';
import { DEFAULT_CONSTITUTION, propose, type JsSandbox } from '../../src/gov/index.js';
import { FIRST_NODE_ID, MEASUREMENT, governedStore, loadSandbox, members, privileged } from '../gov/governance-fixture.js';
import { COCO } from './cluster-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'coco-proposal-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The environment without the member commands' variables, so only the flags count. */
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^COCO_(URL|SERVICE_CERT|SIGNING_CERT|SIGNING_KEY)$/.test(name)));

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the compiled CLI; several may run at once (each takes a moment to start). */
function coco(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [COCO, ...args], { cwd: dir, encoding: 'utf8', env }, (error, stdout, stderr) => {
      resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

/** Each run exits 2 with one `coco: ...` line matching its pattern, and prints nothing on stdout. */
async function assertUsageErrors(cases: readonly (readonly [Promise<Run>, RegExp])[]): Promise<void> {
  for (const [run, pattern] of cases) {
    const result = await run;
    assert.equal(result.status, 2, `${pattern}: ${result.stdout}\n${result.stderr}`);
    assert.match(result.stderr, pattern);
    assert.equal(result.stdout, '');
  }
}

describe('coco proposal', () => {
  let sandbox: JsSandbox;
  before(async () => {
    sandbox = await loadSandbox();
    const now = new Date();
    await keygen({ name: 'user1', dir, curve: 'p384', encryption: false, now });
    await keygen({ name: 'member3', dir, curve: 'p256', encryption: true, now });
    writeFileSync(join(dir, 'constitution.js'), DEFAULT_CONSTITUTION);
  });

  it('writes set_user --cert FILE as a proposal on stdout, the certificate as Coco stores it', async () => {
    const result = await coco('proposal', 'set_user', '--cert', 'user1_cert.pem', '--data', '{"team": "blue"}');
    assert.equal(result.status, 0, result.stderr);
    const proposal = JSON.parse(result.stdout) as { actions: { name: string; args: { cert: string; user_data: unknown } }[] };
    assert.equal(proposal.actions.length, 1);
    const [action] = proposal.actions;
    assert.equal(action?.name, 'set_user');
    assert.deepEqual(action?.args.user_data, { team: 'blue' });
    assert.equal(certificateFingerprint(action?.args.cert ?? ''), certificateFingerprint(readFileSync(join(dir, 'user1_cert.pem'), 'utf8')));
    assert.doesNotMatch(action?.args.cert ?? '', /\n$/, 'canonical PEM: no trailing newline');
  });

  it('builds, for every action of the default constitution, a proposal its validate() accepts', async () => {
    const flags: Record<string, ActionFlags> = {
      set_member: { cert: 'member3_cert.pem', encryptionKey: 'member3_enc_pubk.pem', data: '{"org": "Contoso"}' },
      remove_member: { cert: 'member3_cert.pem' },
      set_member_data: { cert: 'member3_cert.pem', data: '"anything JSON"' },
      set_user: { cert: 'user1_cert.pem' },
      remove_user: { userId: 'AB'.repeat(32) },
      set_user_data: { userId: 'ab'.repeat(32), data: '{"a": [1, 2]}' },
      transition_node_to_trusted: { nodeId: FIRST_NODE_ID },
      remove_node: { nodeId: FIRST_NODE_ID },
      add_node_code: { measurement: MEASUREMENT, platform: 'virtual' },
      remove_node_code: { measurement: MEASUREMENT },
      add_tee_platform: { platform: 'virtual' },
      remove_tee_platform: { platform: 'sev-snp' },
      set_constitution: { constitution: 'constitution.js' },
      transition_service_to_open: {},
      set_recovery_threshold: { threshold: '2' },
    };
    assert.deepEqual(Object.keys(flags).sort(), ACTIONS.map((action) => action.name).sort(), 'every action is covered');
    const all = await members(1);
    const store = governedStore({ members: all });
    const inDir = (given: ActionFlags): ActionFlags =>
      Object.fromEntries(Object.entries(given).map(([name, value]) => [name, ['cert', 'encryptionKey', 'constitution'].includes(name) ? join(dir, value as string) : value]));
    for (const [name, given] of Object.entries(flags)) {
      const proposal = proposalOf(actionSpec(name) ?? assert.fail(name), inDir(given));
      const outcome = privileged(store, (tx) => propose(tx, sandbox, (all[0] ?? assert.fail()).id, JSON.stringify(proposal)));
      assert.equal(outcome.state, 'Open', `${name}: ${JSON.stringify(outcome)}`);
    }
  });

  it('merges --args into the flags\' arguments, and takes all of them from --args', async () => {
    const merged = JSON.parse((await coco('proposal', 'set_user', '--cert', 'user1_cert.pem', '--args', '{"user_data": {"x": 1}}')).stdout) as { actions: { args: Record<string, unknown> }[] };
    assert.deepEqual(Object.keys(merged.actions[0]?.args ?? {}), ['cert', 'user_data']);
    const raw = JSON.parse((await coco('proposal', 'remove_node', '--args', `{"node_id": "${FIRST_NODE_ID}"}`)).stdout) as { actions: { args: Record<string, unknown> }[] };
    assert.deepEqual(raw.actions[0]?.args, { node_id: FIRST_NODE_ID });
  });

  it('refuses bad input with exit 2 and a message that says what to fix', async () => {
    await assertUsageErrors([
      [coco('proposal', 'set_usr', '--cert', 'user1_cert.pem'), /unknown command 'set_usr'/],
      [coco('proposal', 'add_tee_platform', '--measurement', 'ab'), /unknown option '--measurement'/],
      [coco('proposal', 'remove_user'), /^coco: remove_user needs --user-id <id> or --cert <file>$/m],
      [coco('proposal', 'set_user', '--cert', 'missing.pem'), /^coco: cannot read the user's certificate missing\.pem: ENOENT$/m],
    ]);
    // The same checks, in this process: each a CliError with exit code 2.
    const cases: [string, ActionFlags, RegExp][] = [
      ['set_user', {}, /^set_user needs --cert <file>$/],
      ['set_user', { cert: 'member3_enc_pubk.pem' }, /must hold exactly one PEM certificate; it holds 0/],
      ['set_member', { cert: 'member3_cert.pem', encryptionKey: 'member3_cert.pem' }, /must be a PEM public key/],
      ['set_member', { cert: 'member3_cert.pem', encryptionKey: 'member3_privk.pem' }, /must be a PEM public key/],
      ['set_user', { cert: 'user1_cert.pem', data: '{team: blue}' }, /^--data is not JSON: /],
      ['set_user', { cert: 'user1_cert.pem', args: '[1]' }, /--args must be a JSON object/],
      ['set_user', { cert: 'user1_cert.pem', args: '{"cert": "x"}' }, /args\.cert is given both by a flag and in --args/],
      ['set_user_data', { data: '1' }, /^set_user_data needs --user-id <id> or --cert <file>$/],
      ['set_user_data', { userId: 'ab'.repeat(32), cert: 'user1_cert.pem', data: '1' }, /give --user-id or --cert, not both/],
      ['remove_node', { nodeId: 'node0' }, /--node-id must be 64 hex characters/],
      ['add_node_code', { measurement: 'not hex', platform: 'virtual' }, /--measurement must be hex/],
      ['add_node_code', { measurement: MEASUREMENT }, /^add_node_code needs --platform <name>$/],
      ['set_recovery_threshold', { threshold: '0' }, /--threshold must be a whole number, 1 or more/],
      ['set_constitution', { constitution: 'missing.js' }, /^cannot read constitution .*missing\.js: ENOENT$/],
    ];
    for (const [name, flags, pattern] of cases) {
      const inDir = Object.fromEntries(Object.entries(flags).map(([flag, value]) => [flag, ['cert', 'encryptionKey', 'constitution'].includes(flag) ? join(dir, value) : value]));
      assert.throws(() => proposalOf(actionSpec(name) ?? assert.fail(name), inDir), (error: unknown) => {
        assert.ok(error instanceof CliError, String(error));
        assert.equal(error.exitCode, 2);
        assert.match(error.message, pattern);
        return true;
      }, `${name} ${JSON.stringify(flags)}`);
    }
  });
});

describe('coco member, before it sends anything', () => {
  const connection = ['--url', 'https://127.0.0.1:1', '--service-cert', 'user1_cert.pem', '--signing-cert', 'member3_cert.pem', '--signing-key', 'member3_privk.pem'];

  it('refuses bad input with exit 2', async () => {
    writeFileSync(join(dir, 'not-a-proposal.json'), '[1, 2]');
    await assertUsageErrors([
      [coco('member', 'proposals'), /required option '--url <url>' not specified/],
      [coco('member', 'propose', 'open_service', ...connection), /^coco: open_service is neither a proposal file nor an action of the default constitution/m],
      [coco('member', 'propose', 'not-a-proposal.json', ...connection), /must be a JSON object \{"actions"/],
      [coco('member', 'propose', 'set_user', ...connection), /set_user needs --cert <file>/],
      [coco('member', 'vote', 'ab'.repeat(32), '--accept', '--reject', ...connection), /^coco: vote with exactly one of --accept, --reject or --ballot FILE$/m],
      [coco('member', 'vote', 'latest', '--accept', ...connection), /^coco: a proposal id is 64 hex characters/m],
      [coco('member', 'withdraw', 'ab'.repeat(32), ...connection.slice(0, -1), 'user1_privk.pem'), /member private key does not belong to the member certificate/],
      [coco('member', 'ack', ...connection.slice(0, -1), 'missing_privk.pem'), /^coco: cannot read member private key missing_privk\.pem: ENOENT$/m],
    ]);
  });

  it('exits 1 when no node answers, saying so', async () => {
    const result = await coco('member', 'proposals', ...connection);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /^coco: GET \/gov\/proposals to https:\/\/127\.0\.0\.1:1: nothing is listening there \(ECONNREFUSED\)$/m);
  });
});
