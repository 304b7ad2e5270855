/**
 * Lambda entry point of the HTTP API: API Gateway events (HTTP API payload 2.0 and REST proxy
 * 1.0) into the same Fastify app as `bbws api`, through @fastify/aws-lambda (maintained by the
 * Fastify team; it uses Fastify's inject, no socket and no hand-written translation). The app is
 * ready when built, so the adapter does not decorate requests (it could only before `ready`).
 */
import awsLambdaFastify from '@fastify/aws-lambda';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { lambdaPlatform, withMetrics } from './compose.js';

let proxy: Promise<awsLambdaFastify.PromiseHandler> | undefined;

export async function handler(event: APIGatewayProxyEventV2 | APIGatewayProxyEvent, context: Context) {
  proxy ??= lambdaPlatform(['api']).then((platform) => awsLambdaFastify(platform.app!, { decorateRequest: false }) as awsLambdaFastify.PromiseHandler);
  const ready = proxy;
  ready.catch(() => (proxy = undefined));
  return withMetrics(async () => (await ready)(event, context));
}
