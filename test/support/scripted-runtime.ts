/**
 * TEST DOUBLE of the Runtime port (test/ only): keeps "resources" in a set, can fail a named step,
 * and reports ECS-shaped events like a real runtime. The real runtime is adapters/runtime/local.
 */
import type { EcsEvent } from '../../src/domain/ecs-event.js';
import type { InstanceSpec } from '../../src/domain/tenant.js';
import type { ComponentHealth, Runtime, RuntimeEventSink, RuntimeStep } from '../../src/ports/runtime.js';

export interface ScriptedRuntime extends Runtime {
  resources: Set<string>;
  failStep: string | null;
  /** When false, no steady-state event is emitted (to test deadlines). */
  reportSteadyState: boolean;
  /** Resolves when a step with this name starts (to kill a worker mid-saga). */
  stepDelayMs: number;
  calls: string[];
}

let seq = 0;
export function ecsEvent(env: string, tenantId: string, eventName: string, extra: Partial<EcsEvent['detail']> = {}, time = new Date()): EcsEvent {
  return {
    version: '0',
    id: `evt-${process.pid}-${Date.now()}-${seq++}`,
    'detail-type': eventName.startsWith('SERVICE_DEPLOYMENT') || eventName.startsWith('DEPLOYMENT') ? 'ECS Deployment State Change' : 'ECS Service Action',
    source: 'aws.ecs',
    time: time.toISOString(),
    resources: [`arn:aws:ecs:local:000000000000:service/bbws-cluster-${env}/${env}-${tenantId}-service`],
    detail: {
      eventType: 'INFO',
      eventName,
      clusterArn: `arn:aws:ecs:local:000000000000:cluster/bbws-cluster-${env}`,
      tags: [
        { key: 'bbws:tenant-id', value: tenantId },
        { key: 'bbws:environment', value: env },
      ],
      ...extra,
    },
  };
}

export function createScriptedRuntime(emit: RuntimeEventSink): ScriptedRuntime {
  const rt: ScriptedRuntime = {
    kind: 'scripted-test-double',
    resources: new Set(),
    failStep: null,
    reportSteadyState: true,
    stepDelayMs: 0,
    calls: [],
    provisionSteps(spec) {
      const names = ['create-database', 'store-credentials', 'create-content-dir', 'create-pool', 'create-route', 'start-service'];
      return names.map((n) => step(n, `${spec.tenantId}:${n}`, n === 'start-service' ? () => started(spec, 'SERVICE_STEADY_STATE') : undefined));
    },
    updateSteps(_prev, next) {
      return [
        step('update-pool', `${next.tenantId}:pool-rev-${next.revision}`, async () => {
          await emit(ecsEvent(next.environment, next.tenantId, 'SERVICE_DESIRED_COUNT_UPDATED', { desiredCount: next.resources.desiredCount }));
          await started(next, 'SERVICE_STEADY_STATE');
        }),
      ];
    },
    deprovisionSteps(spec, mode) {
      const s = step(`remove-${mode}`, `${spec.tenantId}:removed-${mode}`, async () => {
        for (const r of [...rt.resources]) if (r.startsWith(`${spec.tenantId}:`) && (mode === 'hard' || r.endsWith('create-route'))) rt.resources.delete(r);
        await emit(ecsEvent(spec.environment, spec.tenantId, 'SERVICE_DELETED', { desiredCount: 0, runningCount: 0 }));
      });
      return [s];
    },
    async health(): Promise<ComponentHealth[]> {
      return [{ name: 'scripted-runtime', status: 'ok' }];
    },
    async stop() {},
  };

  async function started(spec: InstanceSpec, eventName: string) {
    if (!rt.reportSteadyState) return;
    const count = spec.resources.desiredCount;
    // Like a real runtime, the steady-state report comes a moment after the service starts.
    setTimeout(() => void emit(ecsEvent(spec.environment, spec.tenantId, eventName, { desiredCount: count, runningCount: count })), 5);
  }

  function step(name: string, resource: string, after?: () => Promise<void>): RuntimeStep {
    return {
      name,
      async run() {
        rt.calls.push(`run:${name}`);
        if (rt.stepDelayMs) await new Promise((r) => setTimeout(r, rt.stepDelayMs));
        if (rt.failStep === name) throw new Error(`injected failure in ${name}`);
        if (!resource.includes(':removed-')) rt.resources.add(resource);
        await after?.();
      },
      async undo() {
        rt.calls.push(`undo:${name}`);
        rt.resources.delete(resource);
      },
    };
  }
  return rt;
}
