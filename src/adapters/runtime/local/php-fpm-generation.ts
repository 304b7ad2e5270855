/**
 * One php-fpm master of a shard: a "generation" with its own config file and socket directory, so
 * it starts beside the generation it replaces (php-fpm.ts does the blue-green switch). The start
 * is the config check: a master that does not come up leaves nothing behind and says why, in
 * php-fpm's own words.
 */
import { statSync } from 'node:fs';
import { chmod, mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../../domain/errors.js';
import type { Logger } from '../../../ports/logger.js';
import { shardPaths, TENANT_PHP_UMASK, type Layout } from './layout.js';
import { pidRecordDir } from './leftovers.js';
import { MASTER_INI, renderShardConfig, type PoolInput } from './render-php-fpm.js';
import { isAlive, superviseProcess, waitFor, type Supervised } from './supervisor.js';

export interface PoolRecord extends PoolInput {
  tenantId: string;
  shard: number;
}

/** Niceness of a master while it starts and warms up in the background (see generationStarter). */
export const BACKGROUND_NICENESS = 19;

/** A master that did not come up: php-fpm's own last words (its output and its log), and the shard. */
export class PhpFpmStartError extends Error {
  constructor(
    readonly shard: number,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`php-fpm master of shard ${shard} did not start: ${reason}`, options);
    this.name = 'PhpFpmStartError';
  }
}

export interface GenerationOptions {
  layout: Layout;
  logger: Logger;
  binary: string;
  /** Test hook: makes the next master start fail on a broken config (undo test). */
  faults?: { rejectNextConfig?: boolean };
}

function masterArgs(confFile: string): string[] {
  return ['-F', '-y', confFile, ...Object.entries(MASTER_INI).flatMap(([k, v]) => ['-d', `${k}=${v}`])];
}

/**
 * Returns `startGeneration(shard, gen, pools, background)`: starts a master for `pools` as
 * generation `gen` of `shard`. A `background` one starts at {@link BACKGROUND_NICENESS}: its
 * start-up and the cold opcode cache of its first request yield the CPU to the masters serving
 * visitors; the manager brings it to 0 when it goes live (a replacement or merge just before the
 * switch, a new tenant's nursery once its first request was answered). Throws with php-fpm's own
 * message when the config does not start; nothing else is touched then.
 */
export function generationStarter(o: GenerationOptions) {
  const { layout, logger } = o;
  const { genConf, genDir, realSocket, logFile } = shardPaths(layout);

  /** Where the next line of the shard's log will start (read at spawn and at exit, so synchronous). */
  const logSize = (shard: number) => {
    try {
      return statSync(logFile(shard)).size;
    } catch {
      return 0;
    }
  };

  /**
   * Waits until master `pid` has logged "ready to handle connections" (after its "fpm is running,
   * pid <pid>") in the shard's log, read from `offset`. php-fpm writes it once every pool's socket
   * listens. Connecting to each socket instead would make an `ondemand` pool fork a worker per
   * pool: 32 forks per merged shard.
   */
  async function waitMasterReady(shard: number, offset: number, pid: number): Promise<void> {
    await waitFor(
      `php-fpm shard ${shard}`,
      async () => {
        if (!isAlive(pid)) throw Object.assign(new Error('exited'), { fatal: true });
        const fh = await open(logFile(shard), 'r');
        try {
          const size = (await fh.stat()).size;
          const buf = Buffer.alloc(Math.max(0, size - offset));
          await fh.read(buf, 0, buf.length, offset);
          const text = buf.toString();
          const started = text.indexOf(`fpm is running, pid ${pid}\n`);
          if (started < 0 || !text.includes('ready to handle connections', started)) throw new Error('not ready yet');
        } finally {
          await fh.close();
        }
      },
      30_000,
      10,
      (e) => (e as { fatal?: boolean }).fatal === true,
    );
  }

  async function startGeneration(shard: number, gen: number, pools: PoolRecord[], background = false): Promise<Supervised> {
    const dir = genDir(shard, gen);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o755);
    const conf = genConf(shard, gen);
    const live = pools.map((p) => ({ ...p, socket: realSocket(shard, gen, p.name) }));
    let text = renderShardConfig({ shard, pidFile: join(layout.phpFpmRun, `shard-${shard}.g${gen}.pid`), errorLog: logFile(shard), pools: live });
    if (o.faults?.rejectNextConfig) {
      o.faults.rejectNextConfig = false;
      text += '\n[broken\n';
    }
    await writeFile(conf, text, { mode: 0o644 });
    const out = join(layout.phpFpmDir, `shard-${shard}.out`);
    const outOffset = (await stat(out).catch(() => undefined))?.size ?? 0;
    // Where this master's lines start in the shard's log; moved on at each exit, for the restart.
    let offset = logSize(shard);
    try {
      return await superviseProcess(
        {
          name: `php-fpm-shard-${shard}`,
          command: o.binary,
          args: masterArgs(conf),
          logFile: out,
          failFast: true,
          onExit: () => void (offset = logSize(shard)),
          ready: (pid) => waitMasterReady(shard, offset, pid),
          stopSignal: 'SIGQUIT',
          niceness: background ? BACKGROUND_NICENESS : 0,
          umask: TENANT_PHP_UMASK,
          pidDir: pidRecordDir(o.layout.root),
        },
        logger,
      );
    } catch (e) {
      const tail = async (f: string, from: number) => {
        const b = await readFile(f).catch(() => Buffer.alloc(0));
        return b.subarray(Math.min(from, b.length)).toString().trim().split('\n').slice(-3).join(' | ');
      };
      const why = [await tail(out, outOffset), await tail(logFile(shard), offset)].filter(Boolean).join(' | ');
      await rm(dir, { recursive: true, force: true });
      await rm(conf, { force: true });
      throw new PhpFpmStartError(shard, why || errorMessage(e), { cause: e });
    }
  }

  return startGeneration;
}
