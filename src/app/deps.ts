/**
 * What use cases need, passed by hand from the composition root (src/main/). Ports only.
 */
import type { Environment } from '../domain/naming.js';
import type { QueueNames } from '../domain/queues.js';
import type { DomainRegistry, TxtLookup } from '../ports/domains.js';
import type { Logger } from '../ports/logger.js';
import type { Metrics } from '../ports/metrics.js';
import type { Queue } from '../ports/queue.js';
import type { Runtime } from '../ports/runtime.js';
import type { Store } from '../ports/store.js';

export interface AppDeps {
  store: Store;
  queue: Queue;
  logger: Logger;
  metrics: Metrics;
  env: Environment;
  baseDomain: string;
  clusterName: string;
  queues: QueueNames;
  operationDeadlineMs: number;
  /** Custom-domain claims, and the DNS lookup that proves them. */
  domains: DomainRegistry;
  txt: TxtLookup;
  /** Milliseconds since the epoch; injectable so deadlines can be tested without sleeping. */
  now: () => number;
}

/** Worker-side dependencies: the runtime is needed only where operations are carried out. */
export interface WorkerDeps extends AppDeps {
  runtime: Runtime;
}

/** The use cases' clock as an ISO 8601 string. */
export function isoNow(deps: Pick<AppDeps, 'now'>): string {
  return new Date(deps.now()).toISOString();
}

/** A new random id (UUID v4) for operations, notifications and other records. */
export function newId(): string {
  return globalThis.crypto.randomUUID();
}
