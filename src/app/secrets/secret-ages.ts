/**
 * `bbws secrets list` and the rotation policy (docs/backups.md "Secrets"): every secret's name and
 * age, never its value. A secret `bbws secrets rotate` can replace (a tenant's database
 * credentials, the edge's basic-auth password) and older than the policy (BBWS_SECRET_MAX_AGE_DAYS, default 90) is overdue:
 * `bbws up` warns about it at start and /health shows the `secrets` component degraded.
 */
import type { Secrets } from '../../ports/secrets.js';

export const DEFAULT_SECRET_MAX_AGE_DAYS = 90;
const DAY_MS = 86_400_000;
const DB_CREDENTIALS = /^(.+?)-(.+)-db-credentials$/;
/** `<env>-edge-basic-auth` (domain/edge-basic-auth.ts); TENANT: any tenant of the environment. */
const EDGE_BASIC_AUTH = /^[a-z]+-edge-basic-auth$/;

export interface SecretAgeView {
  name: string;
  updatedAt: string;
  ageDays: number;
  /** The command that replaces it, when bbws can (null: rotated by hand, or not at all). */
  rotateWith: string | null;
  /** Rotatable and older than the policy. */
  overdue: boolean;
}

export async function listSecretAges(deps: { secrets: Secrets; now: () => number }, maxAgeDays: number): Promise<SecretAgeView[]> {
  const now = deps.now();
  return (await deps.secrets.listAges()).map(({ name, updatedAt }) => {
    const ageDays = Math.max(0, Math.floor((now - Date.parse(updatedAt)) / DAY_MS));
    const tenant = DB_CREDENTIALS.exec(name)?.[2];
    const rotateWith = tenant ? `bbws secrets rotate ${tenant} --db` : EDGE_BASIC_AUTH.test(name) ? 'bbws secrets rotate TENANT --basic-auth' : null;
    return { name, updatedAt, ageDays, rotateWith, overdue: rotateWith !== null && now - Date.parse(updatedAt) > maxAgeDays * DAY_MS };
  });
}

/** The /health component: degraded while a rotatable secret is older than the policy. */
export async function secretsHealth(deps: { secrets: Secrets; now: () => number }, maxAgeDays: number) {
  const overdue = (await listSecretAges(deps, maxAgeDays)).filter((s) => s.overdue);
  return overdue.length
    ? { name: 'secrets', status: 'degraded' as const, detail: `${overdue.length} secret(s) older than ${maxAgeDays} days: ${overdue.slice(0, 5).map((s) => `${s.name} (${s.ageDays} d)`).join(', ')}${overdue.length > 5 ? ', …' : ''}; rotate with ${[...new Set(overdue.map((s) => s.rotateWith!.replace(/ [a-z0-9]+ --db$/, ' TENANT --db')))].join(' / ')}` }
    : { name: 'secrets', status: 'ok' as const, detail: `no rotatable secret older than ${maxAgeDays} days` };
}
