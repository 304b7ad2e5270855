/**
 * A log scan worker thread (scan-parts.ts starts them): runs each part it is sent (scan-part.ts)
 * and answers with its outcome, or with the error's message.
 */
import { parentPort } from 'node:worker_threads';
import { runPart, type PartTask } from './scan-part.js';

parentPort!.on('message', (task: PartTask) => {
  runPart(task).then(
    (outcome) => parentPort!.postMessage({ outcome }),
    (err: Error) => parentPort!.postMessage({ error: err.message }),
  );
});
