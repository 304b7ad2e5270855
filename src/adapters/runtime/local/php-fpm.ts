/**
 * php-fpm masters ("shards"), each holding the pools of up to `shardSize` tenants.
 *
 * Why this layout (measured here, see docs/local-runtime.md):
 * - one master per tenant: ~37 MB RSS each (Debian's extensions), 25× the per-tenant budget;
 * - one master for everybody: each pool change is a reload (USR2 re-executes the master) that
 *   empties the shared opcode cache of every tenant;
 * - shards, filled in order: only the newest ("open") shard takes new tenants, so adding a
 *   tenant reloads at most `shardSize - 1` recent neighbours and never the older shards.
 *   `process_control_timeout` lets in-flight requests finish across a reload.
 * The desired pools are files (`pools/<service>.json`), the shard configs are rendered from them.
 * Every candidate config is checked with `php-fpm -t` before it replaces the live one.
 */
import { readdir, readFile, rename, rm, writeFile, mkdir, stat, open } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../../../ports/logger.js';
import { run } from './exec.js';
import { safeName } from './escape.js';
import type { Layout } from './layout.js';
import { MASTER_INI, renderShardConfig, type PoolInput } from './render-php-fpm.js';
import { superviseProcess, waitFor, type Supervised } from './supervisor.js';

export interface PoolRecord extends PoolInput {
  tenantId: string;
  shard: number;
}

export interface PhpFpmManager {
  /** Adds or replaces the pool (validated, then the shard is reloaded or started). */
  applyPool(pool: Omit<PoolRecord, 'shard'>): Promise<PoolRecord>;
  /** Removes the pool; an emptied shard's master is stopped. Idempotent. */
  removePool(name: string): Promise<void>;
  getPool(name: string): Promise<PoolRecord | undefined>;
  listPools(): Promise<PoolRecord[]>;
  masters(): Supervised[];
  stop(): Promise<void>;
}

export interface PhpFpmOptions {
  layout: Layout;
  logger: Logger;
  binary: string;
  shardSize: number;
  /** Test hook: makes the next `php-fpm -t` fail (undo test). */
  faults?: { rejectNextConfig?: boolean };
}

/** Resolves when a connect() to the unix socket succeeds. */
export function socketAccepts(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve();
    });
    s.once('error', reject);
  });
}

function masterArgs(confFile: string): string[] {
  return ['-F', '-y', confFile, ...Object.entries(MASTER_INI).flatMap(([k, v]) => ['-d', `${k}=${v}`])];
}

export async function startPhpFpm(o: PhpFpmOptions): Promise<PhpFpmManager> {
  const { layout, logger } = o;
  await mkdir(layout.phpFpmPools, { recursive: true });
  await mkdir(layout.phpFpmRun, { recursive: true, mode: 0o755 });
  const masters = new Map<number, Supervised>();
  const locks = new Map<number, Promise<unknown>>();
  let placement: Promise<unknown> = Promise.resolve();

  const confFile = (shard: number) => join(layout.phpFpmDir, `shard-${shard}.conf`);
  const logFile = (shard: number) => join(layout.phpFpmDir, `shard-${shard}.log`);
  const poolFile = (name: string) => join(layout.phpFpmPools, `${safeName(name)}.json`);

  async function listPools(): Promise<PoolRecord[]> {
    const files = (await readdir(layout.phpFpmPools)).filter((f) => f.endsWith('.json'));
    return Promise.all(files.map(async (f) => JSON.parse(await readFile(join(layout.phpFpmPools, f), 'utf8')) as PoolRecord));
  }

  function withShardLock<T>(shard: number, fn: () => Promise<T>): Promise<T> {
    const prev = locks.get(shard) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    locks.set(shard, next.catch(() => undefined));
    return next;
  }

  const logSize = async (shard: number) => (await stat(logFile(shard)).catch(() => undefined))?.size ?? 0;

  /** Waits for "ready to handle connections" written after `offset` in the shard's log. */
  async function waitReadyAfter(shard: number, offset: number): Promise<void> {
    await waitFor(
      `php-fpm shard ${shard}`,
      async () => {
        const fh = await open(logFile(shard), 'r');
        try {
          const size = (await fh.stat()).size;
          const buf = Buffer.alloc(Math.max(0, size - offset));
          await fh.read(buf, 0, buf.length, offset);
          if (!buf.toString().includes('ready to handle connections')) throw new Error('not ready yet');
        } finally {
          await fh.close();
        }
      },
      30_000,
      20,
    );
  }

  /** `pools` are the ones of the first start; a restart after a crash waits for the current ones. */
  async function startMaster(shard: number, pools: PoolRecord[]): Promise<void> {
    let first = true;
    const offset = await logSize(shard);
    const m = await superviseProcess(
      {
        name: `php-fpm-shard-${shard}`,
        command: o.binary,
        args: masterArgs(confFile(shard)),
        logFile: join(layout.phpFpmDir, `shard-${shard}.out`),
        // On a restart after a crash the offset is stale; sockets answering is then enough.
        ready: async () => {
          await waitReadyAfter(shard, offset).catch(async () => undefined);
          const current = first ? pools : (await listPools()).filter((p) => p.shard === shard);
          first = false;
          await waitFor('php-fpm sockets', () => Promise.all(current.map((p) => socketAccepts(p.socket))), 30_000, 20);
        },
        stopSignal: 'SIGQUIT',
      },
      logger,
    );
    masters.set(shard, m);
  }

  /** Renders, validates and activates the shard's config for `pools`. Caller holds the lock. */
  async function activate(shard: number, pools: PoolRecord[], previous: PoolRecord[]): Promise<void> {
    const live = confFile(shard);
    const candidate = `${live}.candidate`;
    if (pools.length === 0) {
      await masters.get(shard)?.stop(35_000);
      masters.delete(shard);
      await rm(live, { force: true });
      for (const p of previous) await rm(p.socket, { force: true });
      return;
    }
    const text = renderShardConfig({ shard, pidFile: join(layout.phpFpmRun, `shard-${shard}.pid`), errorLog: logFile(shard), pools });
    await writeFile(candidate, text, { mode: 0o644 });
    try {
      if (o.faults?.rejectNextConfig) {
        o.faults.rejectNextConfig = false;
        await writeFile(candidate, text + '\n[broken\n');
      }
      // A bad render never reaches a running master.
      await run(o.binary, ['-t', '-y', candidate]);
    } catch (e) {
      await rm(candidate, { force: true });
      throw e;
    }
    await rename(candidate, live);
    const master = masters.get(shard);
    if (!master || master.status().state === 'stopped') {
      await startMaster(shard, pools);
      return;
    }
    const offset = await logSize(shard);
    master.signal('SIGUSR2');
    await waitReadyAfter(shard, offset);
    await waitFor('php-fpm pool sockets', () => Promise.all(pools.map((p) => socketAccepts(p.socket))), 30_000, 20);
    const kept = new Set(pools.map((p) => p.socket));
    for (const p of previous) if (!kept.has(p.socket)) await rm(p.socket, { force: true });
  }

  /** Shards reserved by pools being added right now (not yet written to `pools/`). */
  const pending = new Map<string, number>();

  /** Open shard: the newest one while it has room, else a new one (older shards stay untouched). */
  async function placeNew(): Promise<number> {
    const shards = [...(await listPools()).map((p) => p.shard), ...pending.values()];
    if (shards.length === 0) return 0;
    const newest = Math.max(...shards);
    return shards.filter((s) => s === newest).length < o.shardSize ? newest : newest + 1;
  }

  const manager: PhpFpmManager = {
    async applyPool(pool) {
      // Placement is serialised so that two tenants never both take the last free slot.
      const p = placement.then(async () => {
        const shard = (await manager.getPool(pool.name))?.shard ?? pending.get(pool.name) ?? (await placeNew());
        pending.set(pool.name, shard);
        return shard;
      });
      placement = p.catch(() => undefined);
      const shard = await p;
      const record: PoolRecord = { ...pool, shard };
      try {
        await withShardLock(shard, async () => {
          const live = (await listPools()).filter((x) => x.shard === shard);
          const next = [...live.filter((x) => x.name !== pool.name), record];
          try {
            await activate(shard, next, live);
          } catch (e) {
            // If the new config went live but did not come up, put the old one back.
            if (!(await readFile(confFile(shard), 'utf8').catch(() => '')).includes(`[${pool.name}]`) || live.some((x) => x.name === pool.name)) throw e;
            await activate(shard, live, next).catch((e2) => logger.error({ err: String(e2), shard }, 'php-fpm shard restore failed'));
            throw e;
          }
          // The file is written only once the pool runs: it is what "this pool exists" means.
          await writeFile(poolFile(pool.name), JSON.stringify(record, null, 2));
        });
      } finally {
        pending.delete(pool.name);
      }
      return record;
    },
    async removePool(name) {
      const existing = await manager.getPool(name);
      if (!existing) return;
      await withShardLock(existing.shard, async () => {
        const live = (await listPools()).filter((x) => x.shard === existing.shard);
        await activate(existing.shard, live.filter((x) => x.name !== name), live);
        await rm(poolFile(name), { force: true });
      });
    },
    async getPool(name) {
      const text = await readFile(poolFile(name), 'utf8').catch(() => undefined);
      return text ? (JSON.parse(text) as PoolRecord) : undefined;
    },
    listPools,
    masters: () => [...masters.values()],
    async stop() {
      await Promise.all([...masters.values()].map((m) => m.stop(35_000)));
      masters.clear();
    },
  };

  // Restart the shards that have pools (after a bbws restart).
  const byShard = new Map<number, PoolRecord[]>();
  for (const p of await listPools()) byShard.set(p.shard, [...(byShard.get(p.shard) ?? []), p]);
  for (const [shard, pools] of byShard) await withShardLock(shard, () => activate(shard, pools, pools));
  return manager;
}
