// Finds the endpoint for a method and path. Paths are matched segment by segment; a
// `:name` segment matches any one non-empty segment and hands it, percent-decoded (so
// `%2F` gives a `/` inside the parameter), to the handler. A literal segment beats a parameter at the same place (`/log/count`
// before `/log/:id`). No match for the path is 404; a match for other methods only is
// 405 with the methods that would have matched, for the `Allow` header.
import assert from 'node:assert/strict';

export interface Route {
  readonly method: string;
  readonly path: string;
}

export type RouteMatch<R extends Route> =
  | { readonly kind: 'found'; readonly route: R; readonly params: Readonly<Record<string, string>> }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'method-not-allowed'; readonly allowed: readonly string[] }
  /** A segment is not valid percent-encoding. */
  | { readonly kind: 'malformed'; readonly message: string };

interface Leaf<R> {
  readonly route: R;
  /** Parameter name by segment index. */
  readonly params: ReadonlyArray<readonly [number, string]>;
}

class Node<R> {
  readonly literals = new Map<string, Node<R>>();
  parameter: Node<R> | undefined;
  readonly leaves = new Map<string, Leaf<R>>();
}

function isParameter(segment: string): boolean {
  return segment.startsWith(':');
}

export class Router<R extends Route> {
  readonly #root = new Node<R>();

  constructor(routes: Iterable<R>) {
    for (const route of routes) this.#add(route);
  }

  match(method: string, path: string): RouteMatch<R> {
    if (!path.startsWith('/')) return { kind: 'not-found' };
    const segments: string[] = [];
    for (const raw of path.slice(1).split('/')) {
      try {
        segments.push(decodeURIComponent(raw));
      } catch {
        return { kind: 'malformed', message: `path segment "${raw}" is not valid percent-encoding` };
      }
    }
    const candidates: Node<R>[] = [];
    this.#collect(this.#root, segments, 0, candidates);
    const allowed = new Set<string>();
    for (const node of candidates) {
      const leaf = node.leaves.get(method);
      if (leaf !== undefined) {
        const params: Record<string, string> = {};
        for (const [index, name] of leaf.params) params[name] = segments[index] as string;
        return { kind: 'found', route: leaf.route, params };
      }
      for (const other of node.leaves.keys()) allowed.add(other);
    }
    if (allowed.size === 0) return { kind: 'not-found' };
    return { kind: 'method-not-allowed', allowed: [...allowed].sort() };
  }

  #add(route: R): void {
    assert(route.path.startsWith('/'), `endpoint path must start with "/": ${route.path}`);
    let node = this.#root;
    const params: Array<[number, string]> = [];
    for (const [index, segment] of route.path.slice(1).split('/').entries()) {
      if (isParameter(segment)) {
        const name = segment.slice(1);
        assert(/^[A-Za-z_][A-Za-z0-9_]*$/.test(name), `bad parameter name "${segment}" in ${route.path}`);
        assert(!params.some(([, other]) => other === name), `parameter "${name}" repeats in ${route.path}`);
        params.push([index, name]);
        node = node.parameter ??= new Node<R>();
      } else {
        let next = node.literals.get(segment);
        if (next === undefined) node.literals.set(segment, (next = new Node<R>()));
        node = next;
      }
    }
    const existing = node.leaves.get(route.method);
    assert(existing === undefined, `${route.method} ${route.path} clashes with ${route.method} ${existing?.route.path}`);
    node.leaves.set(route.method, { route, params });
  }

  /** Every node matching `segments` from `index` on, literal matches first. */
  #collect(node: Node<R>, segments: readonly string[], index: number, into: Node<R>[]): void {
    if (index === segments.length) {
      if (node.leaves.size > 0) into.push(node);
      return;
    }
    const segment = segments[index] as string;
    const literal = node.literals.get(segment);
    if (literal !== undefined) this.#collect(literal, segments, index + 1, into);
    if (node.parameter !== undefined && segment !== '') this.#collect(node.parameter, segments, index + 1, into);
  }
}
