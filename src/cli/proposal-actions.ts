// The default constitution's actions as command-line flags: what `coco proposal ACTION`
// and `coco member propose ACTION` turn into a proposal's {"name", "args"}. Certificates
// and keys are read from files and written in the form the service stores; ids, JSON and
// numbers are checked here, so a typo fails at once with the flag's name rather than at
// the vote. The constitution still validates every proposal: this is a convenience, not
// the rule (docs/governance.md has the actions and their arguments).
import { canonicalCertificatePem, parseCertificate, certificateFingerprint } from '../crypto/certificate.js';
import { publicKeyFromPem, publicKeyToPem } from '../crypto/keys.js';
import type { Proposal } from '../client/index.js';
import { CliError } from './cli-error.js';
import { readInputFile } from './read-input.js';

/** The flags an action may take, as commander names them. */
export interface ActionFlags {
  readonly cert?: string;
  readonly encryptionKey?: string;
  readonly data?: string;
  readonly memberId?: string;
  readonly userId?: string;
  readonly nodeId?: string;
  readonly measurement?: string;
  readonly platform?: string;
  readonly constitution?: string;
  readonly threshold?: string;
  readonly args?: string;
}

export type FlagName = Exclude<keyof ActionFlags, 'args'>;

/** Each flag's commander spelling. */
export const FLAG_SYNTAX: Readonly<Record<FlagName, string>> = {
  cert: '--cert <file>',
  encryptionKey: '--encryption-key <file>',
  data: '--data <json>',
  memberId: '--member-id <id>',
  userId: '--user-id <id>',
  nodeId: '--node-id <id>',
  measurement: '--measurement <hex>',
  platform: '--platform <name>',
  constitution: '--constitution <file>',
  threshold: '--threshold <n>',
};

export interface ActionSpec {
  readonly name: string;
  readonly summary: string;
  /** The flags it takes: each flag, the arg it gives, and what it means for this action. */
  readonly flags: readonly (readonly [flag: FlagName, arg: string, description: string])[];
  /** The args from the flags given; --args is merged in afterwards. */
  readonly build: (flags: ActionFlags) => Record<string, unknown>;
  /** Required args: each must come from a flag or from --args. */
  readonly required: readonly (string | readonly string[])[];
}

const ID = /^[0-9a-f]{64}$/;

/** A certificate file: exactly one PEM certificate, written back in the canonical form Coco stores. */
export function readCertificateFile(path: string, what: string): string {
  const text = readInputFile(path, what);
  const count = text.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
  if (count !== 1) throw new CliError(`${what} ${path} must hold exactly one PEM certificate; it holds ${count}`);
  try {
    return canonicalCertificatePem(parseCertificate(text).raw);
  } catch (error) {
    throw new CliError(`${what} ${path} is not a PEM certificate: ${(error as Error).message}`);
  }
}

function readRsaPublicKeyFile(path: string, what: string): string {
  const text = readInputFile(path, what);
  if (!text.includes('-----BEGIN PUBLIC KEY-----') || text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new CliError(`${what} ${path} must be a PEM public key (BEGIN PUBLIC KEY), such as the NAME_enc_pubk.pem coco keygen --encryption writes`);
  }
  let key;
  try {
    key = publicKeyFromPem(text);
  } catch (error) {
    throw new CliError(`${what} ${path} is not a PEM public key: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new CliError(`${what} ${path} is an ${key.asymmetricKeyType ?? 'unknown'} key; recovery shares are encrypted to an RSA key`);
  return publicKeyToPem(key);
}

function id(value: string, flag: string): string {
  const lower = value.toLowerCase();
  if (!ID.test(lower)) throw new CliError(`${flag} must be 64 hex characters (a SHA-256), not ${JSON.stringify(value)}`);
  return lower;
}

/** --data: any JSON value. */
function json(value: string, flag: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new CliError(`${flag} is not JSON: ${(error as Error).message} (quote it for the shell: ${flag} '{"name": "value"}')`);
  }
}

/** An id from its flag, or from a certificate file (the id is the SHA-256 of its DER). */
function idOrCertificate(flags: ActionFlags, idFlag: 'memberId' | 'userId', who: string): string | undefined {
  const given = flags[idFlag];
  if (given !== undefined && flags.cert !== undefined) throw new CliError(`give ${FLAG_SYNTAX[idFlag].split(' ')[0]} or --cert, not both`);
  if (given !== undefined) return id(given, FLAG_SYNTAX[idFlag].split(' ')[0] as string);
  if (flags.cert !== undefined) return certificateFingerprint(readCertificateFile(flags.cert, `the ${who}'s certificate`));
  return undefined;
}

function defined(entries: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined));
}

function removal(who: 'member' | 'user'): ActionSpec['build'] {
  const idFlag = who === 'member' ? 'memberId' : 'userId';
  return (flags) => {
    if (flags[idFlag] !== undefined && flags.cert !== undefined) throw new CliError(`give ${FLAG_SYNTAX[idFlag].split(' ')[0]} or --cert, not both`);
    return defined({
      [`${who}_id`]: flags[idFlag] === undefined ? undefined : id(flags[idFlag] as string, FLAG_SYNTAX[idFlag].split(' ')[0] as string),
      cert: flags.cert === undefined ? undefined : readCertificateFile(flags.cert, `the ${who}'s certificate`),
    });
  };
}

function measurement(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const lower = value.toLowerCase();
  if (!/^[0-9a-f]+$/.test(lower)) throw new CliError(`--measurement must be hex, not ${JSON.stringify(value)}`);
  return lower;
}

function threshold(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || String(n) !== value) throw new CliError(`--threshold must be a whole number, 1 or more, not ${JSON.stringify(value)}`);
  return n;
}

/** The default constitution's actions, in docs/governance.md's order. */
export const ACTIONS: readonly ActionSpec[] = [
  {
    name: 'set_member',
    summary: 'add a member (it starts Accepted and becomes Active once it acknowledges), or update one',
    flags: [
      ['cert', 'cert', 'the member\'s certificate (PEM file)'],
      ['encryptionKey', 'encryption_pub_key', 'the RSA public key its recovery share is encrypted to (PEM file, e.g. NAME_enc_pubk.pem)'],
      ['data', 'member_data', 'member data: any JSON'],
    ],
    build: (flags) => defined({
      cert: flags.cert === undefined ? undefined : readCertificateFile(flags.cert, 'the member\'s certificate'),
      encryption_pub_key: flags.encryptionKey === undefined ? undefined : readRsaPublicKeyFile(flags.encryptionKey, 'the member\'s encryption key'),
      member_data: flags.data === undefined ? undefined : json(flags.data, '--data'),
    }),
    required: ['cert'],
  },
  {
    name: 'remove_member',
    summary: 'remove a member',
    flags: [['memberId', 'member_id', 'the member\'s id'], ['cert', 'cert', 'or the member\'s certificate (PEM file)']],
    build: removal('member'),
    required: [['member_id', 'cert']],
  },
  {
    name: 'set_member_data',
    summary: 'replace a member\'s data',
    flags: [['memberId', 'member_id', 'the member\'s id'], ['cert', 'member_id', 'or the member\'s certificate (PEM file), to name it by'], ['data', 'member_data', 'the member data: any JSON']],
    build: (flags) => defined({
      member_id: idOrCertificate(flags, 'memberId', 'member'),
      member_data: flags.data === undefined ? undefined : json(flags.data, '--data'),
    }),
    required: ['member_id', 'member_data'],
  },
  {
    name: 'set_user',
    summary: 'add a user (it may then call the application), or update one',
    flags: [['cert', 'cert', 'the user\'s certificate (PEM file)'], ['data', 'user_data', 'user data: any JSON']],
    build: (flags) => defined({
      cert: flags.cert === undefined ? undefined : readCertificateFile(flags.cert, 'the user\'s certificate'),
      user_data: flags.data === undefined ? undefined : json(flags.data, '--data'),
    }),
    required: ['cert'],
  },
  {
    name: 'remove_user',
    summary: 'remove a user',
    flags: [['userId', 'user_id', 'the user\'s id'], ['cert', 'cert', 'or the user\'s certificate (PEM file)']],
    build: removal('user'),
    required: [['user_id', 'cert']],
  },
  {
    name: 'set_user_data',
    summary: 'replace a user\'s data',
    flags: [['userId', 'user_id', 'the user\'s id'], ['cert', 'user_id', 'or the user\'s certificate (PEM file), to name it by'], ['data', 'user_data', 'the user data: any JSON']],
    build: (flags) => defined({
      user_id: idOrCertificate(flags, 'userId', 'user'),
      user_data: flags.data === undefined ? undefined : json(flags.data, '--data'),
    }),
    required: ['user_id', 'user_data'],
  },
  {
    name: 'transition_node_to_trusted',
    summary: 'trust a Pending node (its measurement and platform must be in the manifests)',
    flags: [['nodeId', 'node_id', 'the node\'s id (GET /node/network/nodes, or network.json in a sandbox)']],
    build: (flags) => defined({ node_id: flags.nodeId === undefined ? undefined : id(flags.nodeId, '--node-id') }),
    required: ['node_id'],
  },
  {
    name: 'remove_node',
    summary: 'retire a node',
    flags: [['nodeId', 'node_id', 'the node\'s id']],
    build: (flags) => defined({ node_id: flags.nodeId === undefined ? undefined : id(flags.nodeId, '--node-id') }),
    required: ['node_id'],
  },
  {
    name: 'add_node_code',
    summary: 'add a measurement to the code manifest: nodes running it may join',
    flags: [['measurement', 'measurement', 'the code\'s measurement, hex'], ['platform', 'platform', 'the platform it was measured on: virtual or sev-snp']],
    build: (flags) => defined({ measurement: measurement(flags.measurement), platform: flags.platform }),
    required: ['measurement', 'platform'],
  },
  {
    name: 'remove_node_code',
    summary: 'remove a measurement from the code manifest',
    flags: [['measurement', 'measurement', 'the measurement, hex']],
    build: (flags) => defined({ measurement: measurement(flags.measurement) }),
    required: ['measurement'],
  },
  {
    name: 'add_tee_platform',
    summary: 'add a platform to the TEE manifest',
    flags: [['platform', 'platform', 'virtual or sev-snp']],
    build: (flags) => defined({ platform: flags.platform }),
    required: ['platform'],
  },
  {
    name: 'remove_tee_platform',
    summary: 'remove a platform from the TEE manifest',
    flags: [['platform', 'platform', 'virtual or sev-snp']],
    build: (flags) => defined({ platform: flags.platform }),
    required: ['platform'],
  },
  {
    name: 'set_constitution',
    summary: 'replace the constitution (this proposal is still decided by the old one)',
    flags: [['constitution', 'constitution', 'the constitution\'s JavaScript source (file)']],
    build: (flags) => defined({ constitution: flags.constitution === undefined ? undefined : readInputFile(flags.constitution, 'constitution') }),
    required: ['constitution'],
  },
  {
    name: 'transition_service_to_open',
    summary: 'open the service to users (from Opening)',
    flags: [],
    build: () => ({}),
    required: [],
  },
  {
    name: 'set_recovery_threshold',
    summary: 'set how many members\' recovery shares recover the service',
    flags: [['threshold', 'recovery_threshold', 'the number of shares, at most the members with encryption keys']],
    build: (flags) => defined({ recovery_threshold: threshold(flags.threshold) }),
    required: ['recovery_threshold'],
  },
];

export function actionSpec(name: string): ActionSpec | undefined {
  return ACTIONS.find((action) => action.name === name);
}

/** The args of one action from its flags and --args (a JSON object merged in; a field given both ways is an error). */
export function actionArgs(spec: ActionSpec, flags: ActionFlags): Record<string, unknown> {
  const fromFlags = spec.build(flags);
  let args = fromFlags;
  if (flags.args !== undefined) {
    const extra = json(flags.args, '--args');
    if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) throw new CliError(`--args must be a JSON object of ${spec.name}'s arguments`);
    for (const name of Object.keys(extra)) {
      if (Object.hasOwn(fromFlags, name)) throw new CliError(`args.${name} is given both by a flag and in --args; give it once`);
    }
    args = { ...fromFlags, ...(extra as Record<string, unknown>) };
  }
  for (const requirement of spec.required) {
    const names = typeof requirement === 'string' ? [requirement] : requirement;
    if (names.some((name) => Object.hasOwn(args, name))) continue;
    throw new CliError(`${spec.name} needs ${names.map((name) => flagFor(spec, name)).join(' or ')}`);
  }
  return args;
}

/** How the user gives arg `name`: its flags, if the action has any, else in --args. */
function flagFor(spec: ActionSpec, name: string): string {
  const flags = spec.flags.filter(([, arg]) => arg === name).map(([flag]) => FLAG_SYNTAX[flag]);
  return flags.length === 0 ? `args.${name} in --args` : flags.join(' or ');
}

/** A one-action proposal. */
export function proposalOf(spec: ActionSpec, flags: ActionFlags): Proposal {
  return { actions: [{ name: spec.name, args: actionArgs(spec, flags) }] };
}
