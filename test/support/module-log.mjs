/**
 * `node --import ./module-log.mjs …` appends the URL of every module the process resolves to the
 * file named by BBWS_MODULE_LOG, one a line (test/integration/cli-start.test.ts). The same file
 * is the resolve hook, registered from the main thread and run in the hooks thread. At exit, the
 * main thread adds the Node built-ins it loaded, ESM-imported or required (`builtin:child_process`).
 */
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.BBWS_MODULE_LOG, `${result.url}\n`);
  return result;
}

if (isMainThread) {
  register(import.meta.url);
  process.on('exit', () => {
    const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => `builtin:${m.slice('NativeModule '.length)}`);
    appendFileSync(process.env.BBWS_MODULE_LOG, `${builtins.join('\n')}\n`);
  });
}
