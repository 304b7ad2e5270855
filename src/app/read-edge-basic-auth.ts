/**
 * The credentials the edge asks visitors of SIT and PROD for (seed 003's basic auth), for an
 * operator who must reach a tenant there. Platform-admin only. Every read is recorded in the log
 * (who, with which token role, the correlation id; never the password), and so is a refusal.
 */
import { assertPlatformAdmin, type Principal } from '../domain/auth.js';
import { edgeAsksForBasicAuth, edgeBasicAuthSecretName, edgeBasicAuthUser } from '../domain/edge-basic-auth.js';
import { BbwsError } from '../domain/errors.js';
import type { Environment } from '../domain/naming.js';
import type { Logger } from '../ports/logger.js';
import type { Secrets } from '../ports/secrets.js';

export interface EdgeBasicAuth {
  environment: Environment;
  /** False in DEV: its edge asks for no basic auth, and user and password are null. */
  enabled: boolean;
  user: string | null;
  password: string | null;
}

export interface EdgeBasicAuthDeps {
  secrets: Secrets;
  logger: Logger;
  env: Environment;
}

/** Throws FORBIDDEN for any role but platform-admin, EDGE_BASIC_AUTH_NOT_SET before the edge first started. */
export async function readEdgeBasicAuth(deps: EdgeBasicAuthDeps, principal: Principal, correlationId: string): Promise<EdgeBasicAuth> {
  const record = (status: string, level: 'info' | 'warn' = 'info') =>
    deps.logger[level](
      { action: 'EDGE_BASIC_AUTH_READ', status, subject: principal.subject, role: principal.role, tenantId: principal.tenantId ?? undefined, environment: deps.env, correlationId },
      `edge basic-auth credentials of ${deps.env}: ${status} for ${principal.subject}`,
    );
  try {
    assertPlatformAdmin(principal);
  } catch (err) {
    record('DENIED', 'warn');
    throw err;
  }
  if (!edgeAsksForBasicAuth(deps.env)) {
    record('NOT_ENABLED');
    return { environment: deps.env, enabled: false, user: null, password: null };
  }
  const password = await deps.secrets.get(edgeBasicAuthSecretName(deps.env));
  if (!password) {
    record('NOT_SET');
    throw new BbwsError('EDGE_BASIC_AUTH_NOT_SET', undefined, { environment: deps.env });
  }
  record('OK');
  return { environment: deps.env, enabled: true, user: edgeBasicAuthUser(deps.env), password };
}
