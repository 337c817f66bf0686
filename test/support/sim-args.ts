// The command line both simulations take: `[--seeds N] [--first S] [--seed S] [--nodes 3|5]`,
// and `[--jobs N]` (worker threads) for the cluster simulation.
// A bad value exits 2 with a message naming the flag.

export interface SimArgs {
  readonly first: number;
  readonly count: number;
  /** The seed given with `--seed`: replay that one seed and say what it did. */
  readonly single: number | undefined;
  readonly nodes: 3 | 5 | undefined;
  /** `--jobs`: worker threads to spread seeds over; undefined lets the runner choose. */
  readonly jobs: number | undefined;
}

export function parseSimArgs(args: readonly string[]): SimArgs {
  const flag = (name: string): number | undefined => {
    const index = args.indexOf(name);
    if (index === -1) return undefined;
    const value = Number(args[index + 1]);
    if (!Number.isSafeInteger(value) || value < 1) {
      console.error(`${name} takes a positive whole number`);
      process.exit(2);
    }
    return value;
  };
  const single = flag('--seed');
  const nodes = flag('--nodes');
  if (nodes !== undefined && nodes !== 3 && nodes !== 5) {
    console.error('--nodes takes 3 or 5');
    process.exit(2);
  }
  return {
    first: single ?? flag('--first') ?? 1,
    count: single === undefined ? (flag('--seeds') ?? 100) : 1,
    single,
    nodes,
    jobs: flag('--jobs'),
  };
}
