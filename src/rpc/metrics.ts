// Request metrics in Prometheus form, served by the node at /node/metrics. Each node has
// its own registry rather than prom-client's global one, so several nodes in one process
// (tests, simulation) keep apart. The RPC server reports each request through
// `onRequestDone`; the node adds gauges of its own state.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the server reports about each request it answered. */
export interface RequestDone {
  readonly method: string;
  /** The endpoint's path template (`/app/log/:id`), or 'unmatched' when no endpoint ran (404, 405, 413). */
  readonly route: string;
  readonly status: number;
  readonly durationMs: number;
  /** 'sent': this backup forwarded it to the primary (the status is the primary's, or 503). 'received': this primary ran it for a backup. */
  readonly forwarded?: 'sent' | 'received';
}

export interface RpcMetrics {
  readonly registry: Registry;
  /** Give this to RpcServer's `onRequestDone`. */
  readonly onRequestDone: (done: RequestDone) => void;
  /** A gauge read from `read` each time the metrics are collected. */
  addGauge(name: string, help: string, read: () => number): void;
}

const KNOWN_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/** Seconds; from half a millisecond (a cached read) to seconds (a contended write). */
const DURATION_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createRpcMetrics(): RpcMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'coco_requests_total',
    help: 'HTTP requests answered, by method, endpoint path template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'coco_request_duration_seconds',
    help: 'Time from a request arriving to its reply being handed to the connection',
    labelNames: ['method', 'route'] as const,
    buckets: DURATION_BUCKETS_SECONDS,
    registers: [registry],
  });
  const forwarded = new Counter({
    name: 'coco_forwarded_requests_total',
    help: 'Requests forwarded: "sent" by this backup to the primary, "received" by this primary from a backup; by route and status',
    labelNames: ['direction', 'route', 'status'] as const,
    registers: [registry],
  });
  return {
    registry,
    onRequestDone(done: RequestDone): void {
      // Any string can arrive as a method: keep the label's values few.
      const method = KNOWN_METHODS.has(done.method) ? done.method : 'other';
      requests.inc({ method, route: done.route, status: String(done.status) });
      duration.observe({ method, route: done.route }, done.durationMs / 1000);
      if (done.forwarded !== undefined) forwarded.inc({ direction: done.forwarded, route: done.route, status: String(done.status) });
    },
    addGauge(name: string, help: string, read: () => number): void {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    },
  };
}
