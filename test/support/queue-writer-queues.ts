/** Queues shared by the kill -9 test and its child process (`queue-writer.ts`). */
import type { QueueDefinition } from '../../src/domain/queues.js';

export const WRITER_QUEUES: QueueDefinition[] = [
  // Carries the work of committed operations; the writer never consumes it.
  { name: 'provisioning', visibilityTimeoutSeconds: 30, retentionSeconds: 345_600 },
  // Sent to, received from and deleted from by the writer. No DLQ: receive counts stay readable.
  { name: 'work', visibilityTimeoutSeconds: 30, retentionSeconds: 345_600 },
];

/** The visibility timeout the writer asks for when it receives from `work`. */
export const WRITER_VISIBILITY_SECONDS = 60;
