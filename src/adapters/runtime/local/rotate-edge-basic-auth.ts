/**
 * Rotation of the edge's basic-auth password (`bbws secrets rotate T --basic-auth`, docs/backups.md
 * "Secrets") with no failed request and no visitor cut off mid-switch:
 *
 * 1. a new password is kept in the secret store as pending first (a crash from here on never
 *    loses it; the next run continues with it);
 * 2. the edge accepts the old password until the grace window ends, then the new one as current
 *    (edge-basic-auth-files.ts: two hash files renamed into place; nginx reads them at each
 *    request, so there is no reload and no connection is dropped);
 * 3. the secret keeps the new password, and the platform's own clients of the edge (readiness
 *    probe, page-cache refresh) use it from the next request;
 * 4. at the window's end the old password is refused (401).
 */
import { randomBytes } from 'node:crypto';
import { edgeBasicAuthPendingSecretName, edgeBasicAuthSecretName } from '../../../domain/edge-basic-auth.js';
import { BbwsError } from '../../../domain/errors.js';
import type { Environment } from '../../../domain/naming.js';
import type { Secrets } from '../../../ports/secrets.js';
import type { EdgeBasicAuthFiles } from './edge-basic-auth-files.js';

export interface EdgeBasicAuthRotationContext {
  env: Environment;
  secrets: Secrets;
  /** The edge's credentials object, shared by every client of the edge (changed in place). */
  basicAuth: { user: string; password: string } | null;
  files: EdgeBasicAuthFiles | null;
  now: () => number;
}

export async function rotateEdgeBasicAuth(ctx: EdgeBasicAuthRotationContext, graceMs: number, progress: (step: string) => void = () => undefined): Promise<{ graceUntil: string }> {
  const { basicAuth, files } = ctx;
  if (!basicAuth || !files) throw new BbwsError('INVALID_STATE', `The ${ctx.env} edge asks for no basic auth: there is no password to rotate.`, { environment: ctx.env });
  const pendingName = edgeBasicAuthPendingSecretName(ctx.env);
  progress('basic-auth: keep the new password in the secret store');
  let pending = await ctx.secrets.get(pendingName);
  if (!pending) {
    pending = randomBytes(24).toString('base64url');
    await ctx.secrets.put(pendingName, pending);
  }
  const until = ctx.now() + graceMs;
  const graceUntil = new Date(until).toISOString();
  if (pending !== basicAuth.password) {
    progress(`basic-auth: the edge accepts the new password, and the old one until ${graceUntil}`);
    await files.rotate(basicAuth.user, basicAuth.password, pending, until);
    progress('basic-auth: keep the new password (the platform probes the edge with it)');
    await ctx.secrets.put(edgeBasicAuthSecretName(ctx.env), pending);
    basicAuth.password = pending;
  }
  await ctx.secrets.delete(pendingName);
  return { graceUntil: new Date(files.graceUntil() ?? until).toISOString() };
}
