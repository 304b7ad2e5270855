/**
 * Test harness for the local runtime: every runtime gets its own temp data dir, ephemeral
 * ports, an event collector and a cleanup that kills every child by PID (and process group)
 * even when the test failed, then removes the Unix users and the data dir.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlatformConfig } from '../../src/domain/config.js';
import type { EcsEvent } from '../../src/domain/ecs-event.js';
import type { Environment } from '../../src/domain/naming.js';
import type { InstanceSpec } from '../../src/domain/tenant.js';
import type { Logger } from '../../src/ports/logger.js';
import type { RuntimeStep } from '../../src/ports/runtime.js';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../src/adapters/runtime/local/local-runtime.js';
import { freePort } from '../../src/adapters/runtime/local/mariadb.js';
import { removeRuntimeLeftovers } from '../../src/adapters/runtime/local/teardown.js';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';

export function silentLogger(lines: Array<Record<string, unknown>> = []): Logger {
  const make = (bindings: Record<string, unknown>): Logger => {
    const at = (level: string) => (obj: Record<string, unknown>, msg?: string) => void lines.push({ level, ...bindings, ...obj, msg });
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (b) => make({ ...bindings, ...b }) };
  };
  return make({});
}

export interface TestRuntime {
  readonly runtime: LocalRuntime;
  /** Stops the runtime and starts a new one on the same data dir, as a bbws restart does. */
  restart(): Promise<void>;
  dataDir: string;
  edgePort: number;
  events: EcsEvent[];
  logs: Array<Record<string, unknown>>;
  /** Resolves with the first event named `eventName` for `tenantId` (after `since` events). */
  waitForEvent(eventName: string, tenantId: string, timeoutMs?: number, since?: number): Promise<EcsEvent>;
  cleanup(): Promise<void>;
}

export async function startTestRuntime(env: Environment = 'dev', extra: Partial<LocalRuntimeOptions> = {}, configOverrides: Partial<PlatformConfig> = {}): Promise<TestRuntime> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bbws-lr-'));
  // A caller may need the edge's port before the runtime starts (an ACME CA validates on it).
  const edgePort = configOverrides.edgePort ?? (await freePort());
  const config: PlatformConfig = {
    dataDir,
    apiPort: 0,
    edgePort,
    edgeHost: '127.0.0.1',
    env,
    baseDomain: 'localhost',
    clusterName: `bbws-cluster-${env}`,
    mysqlUrl: null,
    operationDeadlineMinutes: 15,
    healthIntervalSeconds: 30,
    rateLimitPerSecond: 100,
    logLevel: 'info',
    ...configOverrides,
  };
  const events: EcsEvent[] = [];
  const listeners = new Set<() => void>();
  const logs: Array<Record<string, unknown>> = [];
  const secrets = createLocalSecrets({ dir: join(dataDir, 'secrets') });
  const pids = new Set<number>();
  let runtime: LocalRuntime;
  const mariadbPort = await freePort();
  const start = () =>
    startLocalRuntime({
      config,
      secrets,
      logger: silentLogger(logs),
      emit: async (e) => {
        events.push(e);
        listeners.forEach((l) => l());
      },
      edgeListenAddress: '127.0.0.1',
      mariadbPort,
      healthIntervalMs: 3_600_000,
      readinessTimeoutMs: 20_000,
      ...extra,
    });
  try {
    runtime = await start();
  } catch (e) {
    await removeRuntimeOf(dataDir);
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
  const remember = () => runtime.children().forEach((c) => c.status().pid && pids.add(c.status().pid!));
  remember();
  const timer = setInterval(remember, 200);

  return {
    get runtime() {
      return runtime;
    },
    async restart() {
      remember();
      await runtime.stop();
      runtime = await start();
      remember();
    },
    dataDir,
    edgePort,
    events,
    logs,
    waitForEvent(eventName, tenantId, timeoutMs = 30_000, since = 0) {
      const find = () => events.slice(since).find((e) => e.detail.eventName === eventName && e.detail.tags?.some((t) => t.key === 'bbws:tenant-id' && t.value === tenantId));
      return new Promise((resolve, reject) => {
        const hit = find();
        if (hit) return resolve(hit);
        const l = () => {
          const e = find();
          if (e) {
            listeners.delete(l);
            clearTimeout(t);
            resolve(e);
          }
        };
        const t = setTimeout(() => {
          listeners.delete(l);
          reject(new Error(`no ${eventName} for ${tenantId} within ${timeoutMs} ms; got ${events.map((e) => e.detail.eventName).join(', ')}`));
        }, timeoutMs);
        listeners.add(l);
      });
    },
    async cleanup() {
      clearInterval(timer);
      remember();
      await runtime.stop().catch(() => undefined);
      for (const pid of pids) {
        for (const target of [-pid, pid]) {
          try {
            process.kill(target, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }
      await removeRuntimeOf(dataDir);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Re-exported for the other harnesses (see teardown.ts). */
export const removeRuntimeOf = removeRuntimeLeftovers;

/** A minimal saga like app/run-operation.ts: on failure, undo the failed step and the done ones, newest first. */
export async function runSteps(steps: RuntimeStep[]): Promise<string[]> {
  const done: RuntimeStep[] = [];
  const journal: string[] = [];
  for (const s of steps) {
    done.push(s);
    try {
      await s.run();
      journal.push(`ran ${s.name}`);
    } catch (e) {
      journal.push(`failed ${s.name}`);
      for (const d of done.reverse()) {
        await d.undo();
        journal.push(`undid ${d.name}`);
      }
      const err = e instanceof Error ? e : new Error(String(e));
      (err as Error & { journal?: string[] }).journal = journal;
      throw err;
    }
  }
  return journal;
}

export function spec(tenantId: string, env: Environment = 'dev', desiredCount = 1, hostnames: string[] = []): InstanceSpec {
  return { tenantId, environment: env, hostnames, resources: { cpu: 256, memory: 512, desiredCount }, revision: 1 };
}
