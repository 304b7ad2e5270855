/**
 * Runs the Store contract against the DynamoDB adapter on DynamoDB Local (a fresh table per test),
 * its outbox relayed to the SQS adapter on fauxqs, plus what is specific to it: tamper-checked
 * paging tokens, the outbox after a crash, one read for a tenant with its instance, and
 * TransactWriteItems under concurrency.
 */
import { describe, expect, it } from 'vitest';
import { openAwsAdapters } from '../support/aws-harness.js';
import { describeStoreContract } from './store.contract.js';

describeStoreContract('dynamodb (DynamoDB Local + fauxqs)', (options) => openAwsAdapters(options));
