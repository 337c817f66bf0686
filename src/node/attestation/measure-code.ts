// The `virtual` platform's measurement: what a hardware TEE would measure at launch,
// computed by the node itself over the compiled code it runs. It is the hex SHA-256 of
//
//   "coco.code-measurement.v1\0" || for each .js file, sorted by relative path:
//     u32 BE path length || path (UTF-8, '/'-separated) || u64 BE content length || content
//
// Lengths frame every part, so renaming a file, moving bytes between files or changing
// any content changes the measurement; sorting makes it independent of directory order.
// It covers Coco's own code only, not node_modules or the Node runtime.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DOMAIN = 'coco.code-measurement.v1\0';

/** Hex SHA-256 over every .js file under `root`, framed as above. */
export function measureCode(root: string): string {
  const files = codeFiles(root, '').sort(comparePaths);
  const hash = createHash('sha256').update(DOMAIN, 'utf8');
  for (const path of files) {
    const pathBytes = Buffer.from(path, 'utf8');
    const content = readFileSync(join(root, path));
    const pathLength = Buffer.alloc(4);
    pathLength.writeUInt32BE(pathBytes.length);
    const contentLength = Buffer.alloc(8);
    contentLength.writeBigUInt64BE(BigInt(content.length));
    hash.update(pathLength).update(pathBytes).update(contentLength).update(content);
  }
  return hash.digest('hex');
}

/** Relative '/'-separated paths of the .js files under `root/relative`. */
function codeFiles(root: string, relative: string): string[] {
  return readdirSync(join(root, relative), { withFileTypes: true }).flatMap((entry) => {
    const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) return codeFiles(root, path);
    // A link could point at code outside the tree, which the measurement would then miss.
    if (entry.isSymbolicLink()) throw new Error(`cannot measure ${join(root, path)}: code must not be reached through symbolic links`);
    return entry.isFile() && entry.name.endsWith('.js') ? [path] : [];
  });
}

/** By UTF-8 bytes, so the order does not depend on the locale or on UTF-16. */
function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
