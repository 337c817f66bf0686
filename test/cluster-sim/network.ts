// The simulated network between replicas. Every message travels encoded, as the node
// channel carries it, so no two replicas ever share an object; on the way the seed decides
// whether it is lost, delayed (which reorders), duplicated, or held back by a partition:
// symmetric (two sides that cannot talk) or one-way (a link that drops in one direction).
import { decodeMessage, encodeMessage } from '../../src/consensus/message-codec.js';
import type { Message } from '../../src/consensus/messages.js';

export interface NetworkFaults {
  dropRate: number;
  duplicateRate: number;
  /** A message arrives 1..delayStepsMax steps after it was sent. */
  delayStepsMax: number;
}

export interface Delivery {
  readonly from: string;
  readonly to: string;
  readonly message: Message;
}

interface InFlight {
  readonly from: string;
  readonly to: string;
  readonly bytes: Uint8Array;
}

export class Network {
  readonly #random: () => number;
  readonly #inFlight = new Map<number, InFlight[]>();
  /** Side of each node while a symmetric partition lasts; empty when there is none. */
  readonly #sides = new Map<string, number>();
  #healAt = 0;
  /** Links `from>to` that drop everything, and the step each heals at. */
  readonly #cut = new Map<string, number>();
  faults: NetworkFaults;
  sent = 0;
  lost = 0;

  constructor(random: () => number, faults: NetworkFaults) {
    this.#random = random;
    this.faults = faults;
  }

  get partitioned(): boolean {
    return this.#sides.size > 0 || this.#cut.size > 0;
  }

  send(now: number, from: string, to: string, message: Message): void {
    this.sent++;
    if (this.#blocked(from, to) || this.#random() < this.faults.dropRate) {
      this.lost++;
      return;
    }
    const bytes = encodeMessage(message);
    const copies = this.#random() < this.faults.duplicateRate ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      const at = now + 1 + Math.floor(this.#random() * this.faults.delayStepsMax);
      const due = this.#inFlight.get(at);
      if (due === undefined) this.#inFlight.set(at, [{ from, to, bytes }]);
      else due.push({ from, to, bytes });
    }
  }

  /** What arrives at step `now`, in a random order; a partition that began meanwhile still drops it. */
  deliver(now: number): Delivery[] {
    const due = this.#inFlight.get(now) ?? [];
    this.#inFlight.delete(now);
    shuffle(due, this.#random);
    const arrived: Delivery[] = [];
    for (const flight of due) {
      if (this.#blocked(flight.from, flight.to)) this.lost++;
      else arrived.push({ from: flight.from, to: flight.to, message: decodeMessage(flight.bytes) });
    }
    return arrived;
  }

  /** Splits `ids` into two random sides until step `healAt`. */
  partition(ids: readonly string[], healAt: number): void {
    for (const id of ids) this.#sides.set(id, this.#random() < 0.5 ? 0 : 1);
    this.#healAt = healAt;
  }

  /** Drops everything `from` sends `to` until step `healAt`. */
  cutLink(from: string, to: string, healAt: number): void {
    this.#cut.set(`${from}>${to}`, healAt);
  }

  /** Ends the partitions and cut links that are due to heal at `now` (all of them if `all`). */
  heal(now: number, all = false): void {
    if (all || now >= this.#healAt) this.#sides.clear();
    for (const [link, healAt] of this.#cut) if (all || now >= healAt) this.#cut.delete(link);
  }

  #blocked(from: string, to: string): boolean {
    if (this.#sides.size > 0 && this.#sides.get(from) !== this.#sides.get(to)) return true;
    return this.#cut.has(`${from}>${to}`);
  }
}

export function shuffle<T>(items: T[], random: () => number): void {
  for (let index = items.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    const item = items[index] as T;
    items[index] = items[other] as T;
    items[other] = item;
  }
}
