/**
 * An SQS event source batch with partial batch responses: each record is handled on its own, and
 * the ids of the records that failed come back as `batchItemFailures` (the function's event
 * source mapping needs `ReportBatchItemFailures`). SQS then redelivers only those, and after
 * maxReceiveCount (3) moves them to the queue's DLQ; the others are deleted.
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Logger } from '../../ports/logger.js';

/** Queue name → what to do with one message body of that queue. */
export type SqsRoutes = ReadonlyMap<string, (body: string, record: SQSRecord) => Promise<unknown>>;

/** `arn:aws:sqs:region:account:name` → `name`. */
export const queueNameOf = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);

export async function handleSqsBatch(event: SQSEvent, routes: SqsRoutes, logger: Logger): Promise<SQSBatchResponse> {
  const results = await Promise.allSettled(
    event.Records.map(async (record) => {
      const queue = queueNameOf(record.eventSourceARN);
      const route = routes.get(queue);
      if (!route) throw new Error(`no handler for queue ${queue} in this function`);
      await route(record.body, record);
    }),
  );
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') return;
    const record = event.Records[i];
    batchItemFailures.push({ itemIdentifier: record.messageId });
    logger.error(
      { action: 'SQS_RECORD', queue: queueNameOf(record.eventSourceARN), messageId: record.messageId, receiveCount: Number(record.attributes.ApproximateReceiveCount), err: result.reason instanceof Error ? result.reason.message : String(result.reason) },
      'message failed; SQS delivers it again, then to the DLQ',
    );
  });
  return { batchItemFailures };
}
