/**
 * The edge's basic auth (seed 003): SIT and PROD ask every visitor for it, DEV does not. One user
 * per environment, `bbws-<env>`; its password is a secret in the secret store, created when the
 * edge first starts, and readable only by a platform-admin (GET /v1.0/admin/edge/basic-auth).
 */
import type { Environment } from './naming.js';

const BASIC_AUTH_ENVS: ReadonlySet<Environment> = new Set<Environment>(['sit', 'prod']);

export function edgeAsksForBasicAuth(env: Environment): boolean {
  return BASIC_AUTH_ENVS.has(env);
}

export function edgeBasicAuthUser(env: Environment): string {
  return `bbws-${env}`;
}

/** Secret holding the edge's basic-auth password. */
export function edgeBasicAuthSecretName(env: Environment): string {
  return `${env}-edge-basic-auth`;
}

/** The next password while a rotation runs (a crash never loses the one it chose). */
export function edgeBasicAuthPendingSecretName(env: Environment): string {
  return `${env}-edge-basic-auth-pending`;
}

/**
 * How long the replaced password is still accepted after `bbws secrets rotate --basic-auth`
 * (`--grace SECONDS`): clients holding it (a browser, a monitor) move to the new one meanwhile.
 */
export const DEFAULT_BASIC_AUTH_GRACE_SECONDS = 300;
export const MAX_BASIC_AUTH_GRACE_SECONDS = 86_400;
