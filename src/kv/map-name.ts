// Map names and what they imply. A name's prefix is its confidentiality (`private:` maps
// are encrypted in the ledger, `public:` maps are not), and two namespaces belong to the
// framework: governance (`coco.gov.`) and framework state (`coco.internal.`), which only
// privileged transactions may write (DESIGN.md, "Data model").
import { mapNameBytesMax } from '../limits.js';
import { KvError } from './kv-error.js';

export const PUBLIC_PREFIX = 'public:';
export const PRIVATE_PREFIX = 'private:';

// Reserved under both prefixes: the framework may keep private state of its own, and
// reserving a superset now never breaks an app later.
const RESERVED_PREFIXES = ['public:coco.gov.', 'public:coco.internal.', 'private:coco.gov.', 'private:coco.internal.'];

// Printable ASCII without space: one byte per character, so UTF-8, UTF-16 and byte order
// all agree when write sets and snapshots sort maps by name, and names read well in logs.
const NAME_BODY = /^[\x21-\x7e]+$/;

/** True for names of maps encrypted in the ledger. */
export function isPrivateMap(name: string): boolean {
  return name.startsWith(PRIVATE_PREFIX);
}

/** True for maps only privileged (governance, framework) transactions may write. */
export function isReservedMap(name: string): boolean {
  for (const prefix of RESERVED_PREFIXES) {
    // `public:coco.gov` itself is reserved too, not only what lies beneath it.
    if (name.startsWith(prefix) || name === prefix.slice(0, -1)) return true;
  }
  return false;
}

/** The reason `name` is not a valid map name, or undefined if it is valid. */
export function mapNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'a map name must be a string';
  const prefix = name.startsWith(PUBLIC_PREFIX) ? PUBLIC_PREFIX : name.startsWith(PRIVATE_PREFIX) ? PRIVATE_PREFIX : undefined;
  if (prefix === undefined) return `map name ${JSON.stringify(name.slice(0, 64))} must start with "public:" or "private:"`;
  if (name.length > mapNameBytesMax) return `map name is ${name.length} bytes, over the ${mapNameBytesMax}-byte maximum`;
  if (name.length === prefix.length) return `map name ${JSON.stringify(name)} has nothing after its prefix`;
  if (!NAME_BODY.test(name)) return `map name ${JSON.stringify(name.slice(0, 64))} may hold only printable ASCII without spaces`;
  return undefined;
}

/** Throws KvError `InvalidMapName` unless `name` is a valid map name. */
export function checkMapName(name: string): void {
  const problem = mapNameProblem(name);
  if (problem !== undefined) throw new KvError('InvalidMapName', problem);
}
