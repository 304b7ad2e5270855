/**
 * `bbws doctor`: seed 002's daily health check as one run of checks. Local ones first (they work
 * with the platform stopped), then those that ask the running platform. With `fix`, each check
 * that did not pass and has a safe repair is repaired, recorded in the audit log, and checked again.
 */
import type { ApiClient } from '../api-client.js';
import { recordLocalAction } from '../commands/local-audit.js';
import { overallStatus, problem, type CheckResult, type CheckStatus, type DoctorCheck } from './doctor-check.js';
import { checkAuditChain, checkDataDirModes, checkDataDirOwner, checkMemory, checkPlatformProcess, checkRuntimeTree, checkStateDatabase, checkStorage } from './local-checks.js';
import { checkHealth, checkOperations, checkQueues, checkTenantRoutes } from './platform-checks.js';
import { checkAlarms, checkBackups } from './alarm-backup-checks.js';

export interface DoctorReport {
  status: CheckStatus;
  checks: CheckResult[];
}

const repairAuditTail = (dataDir: string) => recordLocalAction(dataDir, 'DOCTOR_FIX', 'audit-chain', null, { repair: 'torn audit line' });

/** A check that throws (an unreadable file, a full disk) is a failed check, not a crashed doctor. */
async function guarded(name: string, run: () => DoctorCheck | DoctorCheck[] | Promise<DoctorCheck | DoctorCheck[]>): Promise<DoctorCheck[]> {
  try {
    const out = await run();
    return Array.isArray(out) ? out : [out];
  } catch (err) {
    return [problem(name, 'fail', `could not check: ${(err as Error).message}`, 'fix the error above (permissions, a full disk), then run bbws doctor again')];
  }
}

async function runChecks(dataDir: string, client: () => Promise<ApiClient>): Promise<DoctorCheck[]> {
  const { check: platformCheck, platform } = checkPlatformProcess(dataDir);
  const checks: DoctorCheck[] = [platformCheck];
  for (const [name, run] of [
    ['data-dir-modes', () => checkDataDirModes(dataDir)],
    ['data-dir-owner', () => checkDataDirOwner(dataDir)],
    ['runtime-tree', () => checkRuntimeTree(dataDir)],
    ['state-db', () => checkStateDatabase(dataDir)],
    ['audit-chain', () => checkAuditChain(dataDir, repairAuditTail)],
    ['storage', () => checkStorage(dataDir)],
    ['memory', () => checkMemory()],
  ] as const) checks.push(...(await guarded(name, run)));
  if (!platform) return checks;
  checks.push(...(await checkHealth(platform.apiUrl, dataDir)));
  try {
    const api = await client();
    checks.push(...(await checkQueues(api)), await checkOperations(api), await checkTenantRoutes(api, platform), await checkAlarms(api), await checkBackups(api));
  } catch (err) {
    checks.push(problem('api', 'fail', `the API refused the doctor's questions: ${(err as Error).message}`, `check ${dataDir}/logs/bbws.jsonl; restart bbws`));
  }
  return checks;
}

export async function runDoctor(dataDir: string, client: () => Promise<ApiClient>, options: { fix: boolean }): Promise<DoctorReport> {
  let checks = await runChecks(dataDir, client);
  if (options.fix) {
    const fixed = new Map<string, string>();
    for (const c of checks) {
      if (c.result.status === 'pass' || !c.fix) continue;
      const done = await c.fix();
      fixed.set(c.result.name, done);
      recordLocalAction(dataDir, 'DOCTOR_FIX', c.result.name, null, { done });
    }
    if (fixed.size) {
      checks = await runChecks(dataDir, client);
      for (const c of checks) if (fixed.has(c.result.name)) c.result.fixed = fixed.get(c.result.name);
    }
  }
  const results = checks.map((c) => c.result);
  return { status: overallStatus(results), checks: results };
}
