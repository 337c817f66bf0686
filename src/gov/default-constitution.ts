// The default constitution, shipped as source text (it runs in the sandbox, not in node,
// and a .ts string reaches dist with the rest). Like CCF's, it is made of parts joined
// into one module: the actions (each with a strict argument check and an apply), the
// validate() and apply() that dispatch to them, and a resolve() — the voting rule —
// which constitution-variants.ts swaps for others. docs/governance.md documents every
// action. Inside, `coco.kv` reads and writes the public:coco.gov.* maps and
// `coco.crypto` checks certificates and keys (sandbox-host.ts).

/** Map names, limits and argument checks shared by every part. */
export const CONSTITUTION_HELPERS = String.raw`
const MEMBER_CERTS = "public:coco.gov.members.certs";
const MEMBER_ENCRYPTION_KEYS = "public:coco.gov.members.encryption_public_keys";
const MEMBER_INFO = "public:coco.gov.members.info";
const MEMBER_ACKS = "public:coco.gov.members.acks";
const USER_CERTS = "public:coco.gov.users.certs";
const USER_INFO = "public:coco.gov.users.info";
const NODES = "public:coco.gov.nodes.info";
const CODE_IDS = "public:coco.gov.nodes.code_ids";
const TEE_PLATFORMS = "public:coco.gov.nodes.tee_platforms";
const SERVICE_INFO = "public:coco.gov.service.info";
const SERVICE_CONFIG = "public:coco.gov.service.config";
const CONSTITUTION = "public:coco.gov.constitution";
const PROPOSALS = "public:coco.gov.proposals";
const PROPOSALS_INFO = "public:coco.gov.proposals_info";

const ACTIONS_MAX = 100;
const CONSTITUTION_CHARS_MAX = 512 * 1024;
const DATA_CHARS_MAX = 64 * 1024;
const RECOVERY_THRESHOLD_MAX = 255;
/** Measurement length (lowercase hex characters) on each platform Coco knows. */
const MEASUREMENT_HEX_CHARS = { "virtual": 64, "sev-snp": 96 };

function fail(message) {
  throw new Error(message);
}

function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** args must be an object with every required field and no field outside required and optional. */
function checkFields(args, required, optional) {
  if (!isObject(args)) fail("args must be a JSON object");
  for (const name of required) {
    if (!Object.prototype.hasOwnProperty.call(args, name)) fail("args." + name + " is missing");
  }
  for (const name of Object.keys(args)) {
    if (!required.includes(name) && !optional.includes(name)) {
      const known = required.concat(optional);
      fail("args." + name + " is not an argument of this action (it takes " + (known.length === 0 ? "none" : known.join(", ")) + ")");
    }
  }
}

function checkExactlyOne(args, names) {
  const present = names.filter((name) => Object.prototype.hasOwnProperty.call(args, name));
  if (present.length !== 1) fail("args must have exactly one of " + names.join(", "));
}

function checkId(value, what) {
  if (typeof value !== "string" || !/^[0-9a-f]{64}$/.test(value)) fail(what + " must be 64 lowercase hex characters (a SHA-256)");
}

function checkCertificate(value, what) {
  if (typeof value !== "string" || !coco.crypto.isCertificate(value)) fail(what + " must be one X.509 certificate in PEM");
}

function checkEncryptionKey(value, what) {
  if (typeof value !== "string" || coco.crypto.publicKeyKind(value) !== "rsa") fail(what + " must be an RSA public key in PEM (SubjectPublicKeyInfo)");
}

function checkData(value, what) {
  if (JSON.stringify(value).length > DATA_CHARS_MAX) fail(what + " is over " + DATA_CHARS_MAX + " characters of JSON");
}

function checkPlatform(value, what) {
  if (typeof value !== "string" || !Object.prototype.hasOwnProperty.call(MEASUREMENT_HEX_CHARS, value)) {
    fail(what + " must be one of " + Object.keys(MEASUREMENT_HEX_CHARS).join(", "));
  }
}

function checkMeasurement(value, platform, what) {
  const chars = MEASUREMENT_HEX_CHARS[platform];
  if (typeof value !== "string" || value.length !== chars || !/^[0-9a-f]*$/.test(value)) {
    fail(what + " must be " + chars + " lowercase hex characters, the size of a " + platform + " measurement");
  }
}

function anyMeasurement(value, what) {
  if (typeof value !== "string" || !/^[0-9a-f]+$/.test(value) || value.length > 128) fail(what + " must be a measurement in lowercase hex");
}

function memberIdOf(args) {
  return args.member_id !== undefined ? args.member_id : coco.crypto.certificateId(args.cert);
}

function userIdOf(args) {
  return args.user_id !== undefined ? args.user_id : coco.crypto.certificateId(args.cert);
}

function activeMemberIds() {
  return coco.kv.entries(MEMBER_INFO).filter((entry) => entry[1].status === "Active").map((entry) => entry[0]);
}

function recoveryMemberCount() {
  return coco.kv.keys(MEMBER_ENCRYPTION_KEYS).length;
}

function recoveryThreshold() {
  const config = coco.kv.get(SERVICE_CONFIG, 0);
  return config === undefined ? 1 : config.recovery_threshold;
}

/** Counts each Active member's vote once. */
function tally(votes) {
  const active = activeMemberIds();
  const seen = {};
  let yes = 0;
  let no = 0;
  for (const entry of votes) {
    if (!active.includes(entry.member_id) || seen[entry.member_id]) continue;
    seen[entry.member_id] = true;
    if (entry.vote === true) yes += 1;
    else no += 1;
  }
  return { yes: yes, no: no, active: active.length };
}

/** The default rule: a strict majority of Active members accepts; a strict majority of them rejecting rejects. */
function strictMajority(votes) {
  const count = tally(votes);
  if (count.yes > count.active / 2) return "Accepted";
  if (count.no > count.active / 2) return "Rejected";
  return "Open";
}
`;

/** The actions: for each, `validate(args)` (shape only, no KV) and `apply(args, proposalId)`. */
export const CONSTITUTION_ACTIONS = String.raw`
const actions = {
  set_member: {
    validate(args) {
      checkFields(args, ["cert"], ["encryption_pub_key", "member_data"]);
      checkCertificate(args.cert, "args.cert");
      if (args.encryption_pub_key !== undefined) checkEncryptionKey(args.encryption_pub_key, "args.encryption_pub_key");
      if (args.member_data !== undefined) checkData(args.member_data, "args.member_data");
    },
    apply(args) {
      const id = coco.crypto.certificateId(args.cert);
      const existing = coco.kv.get(MEMBER_INFO, id);
      coco.kv.set(MEMBER_CERTS, id, args.cert);
      if (args.encryption_pub_key !== undefined) {
        coco.kv.set(MEMBER_ENCRYPTION_KEYS, id, args.encryption_pub_key);
      } else if (coco.kv.has(MEMBER_ENCRYPTION_KEYS, id)) {
        if (recoveryMemberCount() - 1 < recoveryThreshold()) fail("member " + id + " would lose its recovery key, leaving fewer recovery members than the recovery threshold");
        coco.kv.delete(MEMBER_ENCRYPTION_KEYS, id);
      }
      const info = { status: existing === undefined ? "Accepted" : existing.status };
      if (args.member_data !== undefined) info.member_data = args.member_data;
      coco.kv.set(MEMBER_INFO, id, info);
    },
  },

  remove_member: {
    validate(args) {
      checkFields(args, [], ["member_id", "cert"]);
      checkExactlyOne(args, ["member_id", "cert"]);
      if (args.member_id !== undefined) checkId(args.member_id, "args.member_id");
      else checkCertificate(args.cert, "args.cert");
    },
    apply(args) {
      const id = memberIdOf(args);
      const info = coco.kv.get(MEMBER_INFO, id);
      if (info === undefined) fail("member " + id + " does not exist");
      if (info.status === "Active" && activeMemberIds().length === 1) fail("member " + id + " is the last Active member; removing it would leave no one to govern");
      if (coco.kv.has(MEMBER_ENCRYPTION_KEYS, id) && recoveryMemberCount() - 1 < recoveryThreshold()) {
        fail("removing member " + id + " would leave fewer recovery members than the recovery threshold " + recoveryThreshold() + "; lower it first");
      }
      coco.kv.delete(MEMBER_CERTS, id);
      coco.kv.delete(MEMBER_ENCRYPTION_KEYS, id);
      coco.kv.delete(MEMBER_INFO, id);
      coco.kv.delete(MEMBER_ACKS, id);
    },
  },

  set_member_data: {
    validate(args) {
      checkFields(args, ["member_id", "member_data"], []);
      checkId(args.member_id, "args.member_id");
      checkData(args.member_data, "args.member_data");
    },
    apply(args) {
      const info = coco.kv.get(MEMBER_INFO, args.member_id);
      if (info === undefined) fail("member " + args.member_id + " does not exist");
      coco.kv.set(MEMBER_INFO, args.member_id, { status: info.status, member_data: args.member_data });
    },
  },

  set_user: {
    validate(args) {
      checkFields(args, ["cert"], ["user_data"]);
      checkCertificate(args.cert, "args.cert");
      if (args.user_data !== undefined) checkData(args.user_data, "args.user_data");
    },
    apply(args) {
      const id = coco.crypto.certificateId(args.cert);
      coco.kv.set(USER_CERTS, id, args.cert);
      coco.kv.set(USER_INFO, id, args.user_data === undefined ? {} : { user_data: args.user_data });
    },
  },

  remove_user: {
    validate(args) {
      checkFields(args, [], ["user_id", "cert"]);
      checkExactlyOne(args, ["user_id", "cert"]);
      if (args.user_id !== undefined) checkId(args.user_id, "args.user_id");
      else checkCertificate(args.cert, "args.cert");
    },
    apply(args) {
      const id = userIdOf(args);
      if (!coco.kv.has(USER_CERTS, id)) fail("user " + id + " does not exist");
      coco.kv.delete(USER_CERTS, id);
      coco.kv.delete(USER_INFO, id);
    },
  },

  set_user_data: {
    validate(args) {
      checkFields(args, ["user_id", "user_data"], []);
      checkId(args.user_id, "args.user_id");
      checkData(args.user_data, "args.user_data");
    },
    apply(args) {
      if (!coco.kv.has(USER_CERTS, args.user_id)) fail("user " + args.user_id + " does not exist");
      coco.kv.set(USER_INFO, args.user_id, { user_data: args.user_data });
    },
  },

  transition_node_to_trusted: {
    validate(args) {
      checkFields(args, ["node_id"], []);
      checkId(args.node_id, "args.node_id");
    },
    apply(args) {
      const node = coco.kv.get(NODES, args.node_id);
      if (node === undefined) fail("node " + args.node_id + " does not exist");
      if (node.status === "Trusted") return;
      if (node.status !== "Pending") fail("node " + args.node_id + " is " + node.status + ", not Pending");
      if (typeof node.measurement !== "string" || typeof node.platform !== "string") {
        fail("node " + args.node_id + " has no attested measurement and platform on record, so it cannot be checked against the manifests");
      }
      const platform = coco.kv.get(TEE_PLATFORMS, node.platform);
      if (platform === undefined || platform.status !== "Allowed") fail("node " + args.node_id + " runs on platform " + node.platform + ", which is not in the TEE manifest");
      const code = coco.kv.get(CODE_IDS, node.measurement);
      if (code === undefined || code.status !== "AllowedToJoin" || code.platform !== node.platform) {
        fail("node " + args.node_id + " runs measurement " + node.measurement + " on " + node.platform + ", which is not in the code manifest");
      }
      const trusted = {};
      for (const name of Object.keys(node)) trusted[name] = node[name];
      trusted.status = "Trusted";
      coco.kv.set(NODES, args.node_id, trusted);
    },
  },

  remove_node: {
    validate(args) {
      checkFields(args, ["node_id"], []);
      checkId(args.node_id, "args.node_id");
    },
    apply(args) {
      const node = coco.kv.get(NODES, args.node_id);
      if (node === undefined) fail("node " + args.node_id + " does not exist");
      if (node.status === "Retired") return;
      if (node.status === "Trusted") {
        const trusted = coco.kv.entries(NODES).filter((entry) => entry[1].status === "Trusted").length;
        if (trusted === 1) fail("node " + args.node_id + " is the last Trusted node; the service would stop");
      }
      const retired = {};
      for (const name of Object.keys(node)) retired[name] = node[name];
      retired.status = "Retired";
      coco.kv.set(NODES, args.node_id, retired);
    },
  },

  add_node_code: {
    validate(args) {
      checkFields(args, ["measurement", "platform"], []);
      checkPlatform(args.platform, "args.platform");
      checkMeasurement(args.measurement, args.platform, "args.measurement");
    },
    apply(args) {
      coco.kv.set(CODE_IDS, args.measurement, { status: "AllowedToJoin", platform: args.platform });
    },
  },

  remove_node_code: {
    validate(args) {
      checkFields(args, ["measurement"], []);
      anyMeasurement(args.measurement, "args.measurement");
    },
    apply(args) {
      if (!coco.kv.delete(CODE_IDS, args.measurement)) fail("measurement " + args.measurement + " is not in the code manifest");
    },
  },

  add_tee_platform: {
    validate(args) {
      checkFields(args, ["platform"], []);
      checkPlatform(args.platform, "args.platform");
    },
    apply(args) {
      coco.kv.set(TEE_PLATFORMS, args.platform, { status: "Allowed" });
    },
  },

  remove_tee_platform: {
    validate(args) {
      checkFields(args, ["platform"], []);
      checkPlatform(args.platform, "args.platform");
    },
    apply(args) {
      if (!coco.kv.delete(TEE_PLATFORMS, args.platform)) fail("platform " + args.platform + " is not in the TEE manifest");
    },
  },

  set_constitution: {
    validate(args) {
      checkFields(args, ["constitution"], []);
      if (typeof args.constitution !== "string" || args.constitution.length === 0) fail("args.constitution must be the constitution's JavaScript source");
      if (args.constitution.length > CONSTITUTION_CHARS_MAX) fail("args.constitution is over " + CONSTITUTION_CHARS_MAX + " characters");
    },
    apply(args) {
      coco.kv.set(CONSTITUTION, 0, args.constitution);
    },
  },

  transition_service_to_open: {
    validate(args) {
      checkFields(args, [], []);
    },
    apply() {
      const service = coco.kv.get(SERVICE_INFO, 0);
      if (service === undefined) fail("the service has no record yet");
      if (service.status !== "Opening") fail("the service is " + service.status + ", not Opening");
      coco.kv.set(SERVICE_INFO, 0, { cert: service.cert, status: "Open" });
    },
  },

  set_recovery_threshold: {
    validate(args) {
      checkFields(args, ["recovery_threshold"], []);
      const t = args.recovery_threshold;
      if (!Number.isInteger(t) || t < 1 || t > RECOVERY_THRESHOLD_MAX) fail("args.recovery_threshold must be an integer from 1 to " + RECOVERY_THRESHOLD_MAX);
    },
    apply(args) {
      const members = recoveryMemberCount();
      if (args.recovery_threshold > members) fail("recovery threshold " + args.recovery_threshold + " is more than the " + members + " members with recovery keys");
      coco.kv.set(SERVICE_CONFIG, 0, { recovery_threshold: args.recovery_threshold });
    },
  },
};
`;

/** validate() and apply(): parse the proposal, check its shape, dispatch to the actions. */
export const CONSTITUTION_VALIDATE_APPLY = String.raw`
/** Returns the proposal's actions, or throws with what is wrong. */
function checkProposal(text) {
  let proposal;
  try {
    proposal = JSON.parse(text);
  } catch (error) {
    fail("the proposal is not JSON: " + error.message);
  }
  if (!isObject(proposal)) fail("the proposal must be a JSON object with an actions array");
  for (const name of Object.keys(proposal)) if (name !== "actions") fail("the proposal has an unknown field " + name + " (only actions)");
  const list = proposal.actions;
  if (!Array.isArray(list) || list.length === 0) fail("the proposal's actions must be a non-empty array");
  if (list.length > ACTIONS_MAX) fail("the proposal has " + list.length + " actions, over the maximum of " + ACTIONS_MAX);
  list.forEach((action, index) => {
    const where = "actions[" + index + "]";
    if (!isObject(action)) fail(where + " must be an object { name, args }");
    for (const name of Object.keys(action)) if (name !== "name" && name !== "args") fail(where + " has an unknown field " + name + " (only name and args)");
    if (typeof action.name !== "string" || !Object.prototype.hasOwnProperty.call(actions, action.name)) {
      fail(where + ": unknown action " + JSON.stringify(action.name) + "; known actions: " + Object.keys(actions).join(", "));
    }
    try {
      actions[action.name].validate(action.args === undefined ? {} : action.args);
    } catch (error) {
      fail(where + " (" + action.name + "): " + error.message);
    }
  });
  return list;
}

export function validate(input) {
  try {
    checkProposal(input);
    return { valid: true, description: "OK" };
  } catch (error) {
    return { valid: false, description: error.message };
  }
}

export function apply(proposal, proposalId) {
  const list = checkProposal(proposal);
  list.forEach((action, index) => {
    try {
      actions[action.name].apply(action.args === undefined ? {} : action.args, proposalId);
    } catch (error) {
      fail("actions[" + index + "] (" + action.name + "): " + error.message);
    }
  });
}
`;

/** The default voting rule: a strict majority of Active members. */
export const STRICT_MAJORITY_RESOLVE = String.raw`
export function resolve(proposal, proposerId, votes) {
  return strictMajority(votes);
}
`;

/** A constitution made of the default actions, validate and apply, and the given resolve part. */
export function composeConstitution(resolvePart: string): string {
  return [
    '// Coco constitution: the default actions with the voting rule below (docs/governance.md).',
    CONSTITUTION_HELPERS,
    CONSTITUTION_ACTIONS,
    CONSTITUTION_VALIDATE_APPLY,
    resolvePart,
  ].join('\n');
}

/** The constitution a new service starts with. */
export const DEFAULT_CONSTITUTION = composeConstitution(STRICT_MAJORITY_RESOLVE);
