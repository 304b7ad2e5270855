/**
 * php-fpm masters ("shards"), each holding the pools of up to `shardSize` tenants.
 *
 * Why this layout (measured here, see docs/local-runtime.md "Why shards of php-fpm masters"):
 * - a master with Debian's extensions is ~10 MB private memory (smaps Private_Dirty; 37 MB RSS of
 *   which ~26 MB are shared library pages) and each idle `ondemand` pool adds only ~5 KB: tenants
 *   must share masters to stay under 1.5 MB per idle tenant;
 * - but a pool change in a running master needs a reload, and `SIGUSR2` re-executes the master:
 *   its opcode cache is emptied for every tenant in it (first request 0.11–0.42 s instead of
 *   8–45 ms) and it burns ~0.3 s of CPU on a 2-core host. The previous design reloaded the open
 *   shard on every new tenant (neighbour p99 9.5× idle).
 *
 * So no running master is ever reloaded:
 * - **A new tenant starts in its own small "nursery" master.** Nobody else is touched, and no
 *   `php-fpm -t` is needed: a config that does not start harms no one (the start is the check).
 *   This replaced `php-fpm -t` + USR2 of the open shard (two php-fpm start-ups) by one.
 * - **Blue-green replacement** of a shard whose pools change (scale, remove, merge): a new master
 *   ("generation") is started beside the old one with the new pool set on new socket paths,
 *   warmed with one request (core files are shared in its opcode cache thanks to
 *   `opcache.revalidate_path`), then each tenant's stable socket `run/<service>.sock` (a symlink,
 *   which nginx resolves at every connect) is atomically re-pointed, and the old master gets a
 *   graceful SIGQUIT after a grace period (in-flight requests finish, `process_control_timeout`).
 * - **Consolidation** in the background: when `nurseryLimit` nursery masters exist they are merged
 *   into the open shard (or a new one) by a blue-green replacement. The start-up and warm-up run
 *   outside the lock; the switch is committed only if none of the shards involved changed meanwhile.
 * The desired pools are files (`pools/<service>.json`), loaded once at start and kept in memory
 * (listing them from disk on every change was O(tenants) per provisioning).
 */
import { readdir, rm, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Logger } from '../../../ports/logger.js';
import { safeName } from './escape.js';
import { shardPaths, type Layout } from './layout.js';
import { BACKGROUND_NICENESS, generationStarter, type PoolRecord } from './php-fpm-generation.js';
import { WORKER_IDLE_TIMEOUT_S } from './render-php-fpm.js';
import type { Supervised } from './supervisor.js';
import { replaceSymlink } from '../../files/atomic-write.js';
import { serialLane } from '../../serial-lane.js';
import { planConsolidation } from './php-fpm-placement.js';
import { poolRecords } from './php-fpm-pool-records.js';

export { BACKGROUND_NICENESS, type PoolRecord } from './php-fpm-generation.js';

/** How long a master stopping with bbws may finish its requests before it is killed. */
const STOP_TIMEOUT_MS = 5_000;

/** Pause between two retired masters' stops (see retire). */
const RETIRE_SPACING_MS = 250;

export interface PhpFpmManager {
  /** Adds or replaces the pool. A new pool gets its own master; a changed one a blue-green replacement of its shard. */
  applyPool(pool: Omit<PoolRecord, 'shard'>): Promise<PoolRecord>;
  /** Removes the pool; an emptied shard's master is stopped. Idempotent. */
  removePool(name: string): Promise<void>;
  getPool(name: string): Promise<PoolRecord | undefined>;
  listPools(): Promise<PoolRecord[]>;
  /** The current master of every shard. */
  masters(): Supervised[];
  /** Current masters plus replaced ones still finishing their requests (for PID bookkeeping and RSS). */
  allMasters(): Supervised[];
  /**
   * The pool's tenant answered its first request: its nursery master (started niced, see
   * startGeneration) gets full CPU priority. No-op for a pool in a shard.
   */
  goLive(name: string): void;
  /** Merges nursery masters now, even fewer than `nurseryLimit` (bench, operators). */
  consolidate(): Promise<void>;
  /** Resolves when background work (consolidation, retiring replaced masters) is done. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

export interface PhpFpmOptions {
  layout: Layout;
  logger: Logger;
  binary: string;
  shardSize: number;
  /** Nursery masters (one new tenant each) allowed before they are merged into a shard (default 8). */
  nurseryLimit?: number;
  /** How long a replaced master keeps running after its sockets were switched away (default 2 s). */
  retireGraceMs?: number;
  /**
   * The same for masters replaced by a merge of nurseries (default: the workers' idle timeout + 2 s,
   * so that their workers have exited by themselves; see retire).
   */
  mergedRetireGraceMs?: number;
  /**
   * Sends one request to `tenantId`'s site through `socket` (a new master's socket, before the
   * switch), so the new opcode cache is warm when visitors arrive. Failures are logged, not fatal.
   */
  warm?: (tenantId: string, socket: string) => Promise<void>;
  /** Test hook: makes the next master start fail on a broken config (undo test). */
  faults?: { rejectNextConfig?: boolean };
}


interface Shard {
  id: number;
  gen: number;
  pools: Map<string, PoolRecord>;
  master: Supervised;
  /** Started for one new tenant; merged into a shard by consolidation. */
  nursery: boolean;
  /** Bumped on every change: consolidation commits only if what it merged is unchanged. */
  version: number;
}

const samePool = (a: Omit<PoolRecord, 'shard'>, b: Omit<PoolRecord, 'shard'>) => {
  const strip = ({ shard: _s, ...rest }: Partial<PoolRecord>) => JSON.stringify(rest, Object.keys(rest).sort());
  return strip(a) === strip(b);
};

export async function startPhpFpm(o: PhpFpmOptions): Promise<PhpFpmManager> {
  const { layout, logger } = o;
  const nurseryLimit = Math.max(1, o.nurseryLimit ?? 8);
  const retireGraceMs = o.retireGraceMs ?? 2_000;
  // Masters replaced by a merge are stopped once their workers have gone idle and exited by
  // themselves, so stopping them frees little at a time.
  const mergedGraceMs = o.mergedRetireGraceMs ?? WORKER_IDLE_TIMEOUT_S * 1000 + 2_000;
  await mkdir(layout.phpFpmRun, { recursive: true, mode: 0o755 });
  const shards = new Map<number, Shard>();
  const byPool = new Map<string, Shard>();
  const retiring = new Set<Supervised>();
  const background = new Set<Promise<unknown>>();
  let nextId = 0;
  // Generations are numbered globally: two replacements of one shard never share a directory.
  let nextGen = 1;
  let stopped = false;

  const { liveConf, genConf, genDir, realSocket } = shardPaths(layout);
  const startGeneration = generationStarter(o);
  const records = poolRecords(layout.phpFpmPools);

  // One lock for every change of the shard map; master start-ups of consolidation run outside it.
  const shardMapLane = serialLane();
  const locked = <T>(fn: () => Promise<T>): Promise<T> => shardMapLane.run(fn);
  const track = (p: Promise<unknown>) => {
    const q = p.catch((e) => logger.error({ err: String(e) }, 'php-fpm background work failed'));
    background.add(q);
    void q.finally(() => background.delete(q));
  };

  /** A warmed background master about to take visitors: full CPU priority from now on. */
  const goLive = (master: Supervised) => master.setNiceness(0);

  /** Points the stable paths (tenant sockets, `shard-<n>.conf`) at generation `gen`. */
  async function switchTo(shard: number, gen: number, pools: Iterable<PoolRecord>): Promise<void> {
    for (const p of pools) await replaceSymlink(`${shard}.${gen}/${safeName(p.name)}.sock`, p.socket);
    await replaceSymlink(basename(genConf(shard, gen)), liveConf(shard));
  }

  /** Sleeps `ms`, or less when the manager stops meanwhile. */
  const wakeOnStop = new Set<() => void>();
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopped) return resolve();
      const wake = () => {
        clearTimeout(timer);
        wakeOnStop.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      wakeOnStop.add(wake);
    });

  // Retired masters stop one at a time, RETIRE_SPACING_MS apart, in the background class. A merge
  // retires up to nine masters; stopped together right after the switch (with the workers that
  // had just served their first requests) they freed a few hundred MB in one burst, and every
  // other tenant's requests stalled for ~150 ms (docs/benchmarks.md, "neighbour").
  const retireLane = serialLane();

  /**
   * A replaced master finishes what it serves: graceful SIGQUIT after `graceMs`, which covers
   * connects that resolved the old socket just before the switch. `queued` ones wait their turn in
   * the retire lane; a removal that must be waited for does not.
   */
  function retire(master: Supervised, shard: number, gen: number, graceMs = retireGraceMs, queued = true): Promise<void> {
    retiring.add(master);
    const done = (async () => {
      if (graceMs > 0) await pause(graceMs);
      const stopNow = async () => {
        if (!stopped) master.setNiceness(BACKGROUND_NICENESS);
        await master.stop(35_000);
      };
      if (queued) {
        await retireLane.run(async () => {
          await stopNow();
          await pause(RETIRE_SPACING_MS);
        });
      } else await stopNow();
      retiring.delete(master);
      await rm(genDir(shard, gen), { recursive: true, force: true });
      await rm(genConf(shard, gen), { force: true });
    })();
    track(done);
    return done;
  }

  async function warm(shard: number, gen: number, pools: PoolRecord[]): Promise<void> {
    const p = pools[0];
    if (!o.warm || !p) return;
    await o.warm(p.tenantId, realSocket(shard, gen, p.name)).catch((e) => logger.warn({ err: String(e), shard }, 'php-fpm warm-up request failed'));
  }

  const persist = records.save;

  /**
   * Blue-green replacement of `s` by a master for `pools` (caller holds the lock). When a pool is
   * removed, this waits until the old master is gone: its workers run as the tenant's Unix user,
   * which the next deprovisioning step deletes (userdel refuses a user with processes).
   */
  async function replace(s: Shard, pools: PoolRecord[]): Promise<void> {
    const removed = [...s.pools.values()].filter((p) => !pools.some((q) => q.name === p.name));
    if (pools.length === 0) {
      shards.delete(s.id);
      for (const p of removed) byPool.delete(p.name), await rm(p.socket, { force: true });
      await rm(liveConf(s.id), { force: true });
      await retire(s.master, s.id, s.gen, 0, false);
      return;
    }
    const gen = nextGen++;
    const master = await startGeneration(s.id, gen, pools, true);
    await warm(s.id, gen, pools);
    goLive(master);
    await switchTo(s.id, gen, pools);
    for (const p of removed) byPool.delete(p.name), await rm(p.socket, { force: true });
    // The removed tenant's route is already gone: a short grace is enough.
    const old = removed.length ? retire(s.master, s.id, s.gen, 250, false) : retire(s.master, s.id, s.gen);
    if (removed.length) await old;
    s.master = master;
    s.gen = gen;
    s.pools = new Map(pools.map((p) => [p.name, p]));
    s.version++;
    for (const p of pools) byPool.set(p.name, s);
  }

  /** Merges nursery masters into the open shard (or a new one). Returns false when there was nothing to do. */
  async function consolidateOnce(force: boolean): Promise<boolean> {
    const plan = planConsolidation([...shards.values()].map((x) => ({ id: x.id, nursery: x.nursery, pools: x.pools.size })), { shardSize: o.shardSize, nurseryLimit, force });
    if (!plan) return false;
    const target = plan.target === null ? undefined : shards.get(plan.target)!;
    const moving = plan.moving.map((id) => shards.get(id)!);
    const involved = [...(target ? [target] : []), ...moving];
    const versions = new Map(involved.map((s) => [s.id, s.version]));
    const id = target?.id ?? nextId++;
    const gen = nextGen++;
    const pools = involved.flatMap((s) => [...s.pools.values()]).map((p) => ({ ...p, shard: id }));
    const master = await startGeneration(id, gen, pools, true);
    await warm(id, gen, pools);
    const committed = await locked(async () => {
      if (stopped || involved.some((s) => shards.get(s.id) !== s || s.version !== versions.get(s.id))) return false;
      goLive(master);
      await switchTo(id, gen, pools);
      for (const p of pools) await persist(p);
      for (const s of moving) {
        shards.delete(s.id);
        retire(s.master, s.id, s.gen, mergedGraceMs);
        await rm(liveConf(s.id), { force: true });
      }
      let merged: Shard;
      if (target) {
        retire(target.master, target.id, target.gen, mergedGraceMs);
        merged = Object.assign(target, { master, gen, pools: new Map(pools.map((p) => [p.name, p])), version: target.version + 1 });
      } else {
        merged = { id, gen, master, nursery: false, version: 0, pools: new Map(pools.map((p) => [p.name, p])) };
        shards.set(id, merged);
      }
      for (const p of pools) byPool.set(p.name, merged);
      logger.info({ shard: id, tenants: pools.length, merged: moving.map((s) => s.id) }, 'php-fpm nurseries merged');
      return true;
    });
    if (!committed) retire(master, id, gen, 0, false);
    return committed;
  }

  let consolidating: Promise<void> | null = null;
  function consolidate(force = false): Promise<void> {
    if (consolidating) return force ? consolidating.then(() => consolidate(true)) : consolidating;
    const p = (async () => {
      try {
        while (!stopped && (await consolidateOnce(force)));
      } finally {
        consolidating = null;
      }
    })();
    consolidating = p;
    track(p);
    return p;
  }

  const manager: PhpFpmManager = {
    applyPool(pool) {
      return locked(async () => {
        const s = byPool.get(pool.name);
        if (s) {
          const current = s.pools.get(pool.name)!;
          // Redelivered step with the same settings: nothing to reload.
          if (samePool(current, pool)) {
            await switchTo(s.id, s.gen, [current]);
            return current;
          }
          const record: PoolRecord = { ...pool, shard: s.id };
          await replace(s, [...[...s.pools.values()].filter((p) => p.name !== pool.name), record]);
          await persist(record);
          return record;
        }
        const id = nextId++;
        const gen = nextGen++;
        const record: PoolRecord = { ...pool, shard: id };
        // Niced until its tenant's first request (the cold opcode cache) has been served: goLive.
        const master = await startGeneration(id, gen, [record], true);
        await switchTo(id, gen, [record]);
        const shard: Shard = { id, gen, master, nursery: true, version: 0, pools: new Map([[record.name, record]]) };
        shards.set(id, shard);
        byPool.set(record.name, shard);
        // The file is written only once the pool runs: it is what "this pool exists" means.
        await persist(record);
        if ([...shards.values()].filter((x) => x.nursery).length >= nurseryLimit) void consolidate();
        return record;
      });
    },
    removePool(name) {
      return locked(async () => {
        const s = byPool.get(name);
        if (s) await replace(s, [...s.pools.values()].filter((p) => p.name !== name));
        await records.remove(name);
      });
    },
    async getPool(name) {
      return byPool.get(name)?.pools.get(name);
    },
    goLive(name) {
      const s = byPool.get(name);
      if (s?.nursery) goLive(s.master);
    },
    async listPools() {
      return [...shards.values()].flatMap((s) => [...s.pools.values()]);
    },
    masters: () => [...shards.values()].sort((a, b) => a.id - b.id).map((s) => s.master),
    allMasters: () => [...manager.masters(), ...retiring],
    consolidate: () => consolidate(true),
    async settled() {
      while (background.size) await Promise.all([...background]);
    },
    async stop() {
      stopped = true;
      for (const wake of [...wakeOnStop]) wake();
      await manager.settled().catch(() => undefined);
      // A bbws stop must end within 10 s (SIGTERM): 5 s of graceful SIGQUIT, then SIGKILL.
      await Promise.all([...shards.values()].map((s) => s.master.stop(STOP_TIMEOUT_MS)));
      shards.clear();
      byPool.clear();
    },
  };

  // Start the shards that have pools (after a bbws restart). Generation directories of the
  // previous run hold dead sockets: start afresh.
  const saved = await records.loadAll();
  for (const e of await readdir(layout.phpFpmRun)) if (/^\d+\.\d+$/.test(e)) await rm(join(layout.phpFpmRun, e), { recursive: true, force: true });
  const groups = new Map<number, PoolRecord[]>();
  for (const p of saved) groups.set(p.shard, [...(groups.get(p.shard) ?? []), p]);
  nextId = Math.max(-1, ...groups.keys()) + 1;
  for (const [id, pools] of groups) {
    const gen = nextGen++;
    const master = await startGeneration(id, gen, pools);
    await switchTo(id, gen, pools);
    const s: Shard = { id, gen, master, nursery: pools.length === 1 && o.shardSize > 1, version: 0, pools: new Map(pools.map((p) => [p.name, p])) };
    shards.set(id, s);
    for (const p of pools) byPool.set(p.name, s);
  }
  return manager;
}
