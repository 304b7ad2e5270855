/**
 * `node --import ./module-log.mjs …` appends the URL of every module the process resolves to the
 * file named by BBWS_MODULE_LOG, one a line (test/integration/cli-start.test.ts). The same file
 * is the resolve hook, registered from the main thread and run in the hooks thread.
 */
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.BBWS_MODULE_LOG, `${result.url}\n`);
  return result;
}

if (isMainThread) register(import.meta.url);
