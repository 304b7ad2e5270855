/**
 * Wires HTTPS into the local runtime's edge: the certificate manager (adapters/tls/) on the edge's
 * `tls/` and `acme-challenge/` directories, and the nginx pieces it needs (render-nginx-tls.ts).
 * Platform-private TLS state (failures, which names are manual) is under `<dataDir>/tls/`; the
 * local CA and the ACME account key are in the secret store.
 */
import { join } from 'node:path';
import type { PlatformConfig } from '../../../domain/config.js';
import { sendsHsts } from '../../../domain/tls.js';
import type { Logger } from '../../../ports/logger.js';
import type { Secrets } from '../../../ports/secrets.js';
import { startCertificateManager, type CertificateManager } from '../../tls/certificate-manager.js';
import { createEdgeFiles } from '../../tls/edge-files.js';
import type { Layout } from './layout.js';
import type { EdgeTlsInput } from './render-nginx-tls.js';
import { isScratchRoute } from './nginx.js';

export interface EdgeTls {
  input: EdgeTlsInput;
  manager: CertificateManager;
}

export async function prepareEdgeTls(o: { config: PlatformConfig; layout: Layout; webGid: number | null; secrets: Secrets; logger: Logger; now?: () => number; sweepIntervalMs?: number; acmeRetries?: number }): Promise<EdgeTls | null> {
  const settings = o.config.tls;
  if (!settings || settings.mode === 'off') return null;
  const files = createEdgeFiles({ certsDir: o.layout.edgeTls, challengeDir: o.layout.edgeAcmeChallenge, webGid: o.webGid });
  const manager = await startCertificateManager({
    settings,
    env: o.config.env,
    routesDir: o.layout.edgeRoutes,
    files,
    stateFile: join(o.config.dataDir, 'tls', 'state.json'),
    secrets: o.secrets,
    logger: o.logger,
    now: o.now,
    sweepIntervalMs: o.sweepIntervalMs,
    acmeRetries: o.acmeRetries,
    ignoreRoute: (name) => isScratchRoute(name),
  });
  return {
    manager,
    input: { httpsPort: settings.httpsPort, certsDir: o.layout.edgeTls, challengeDir: o.layout.edgeAcmeChallenge, hsts: sendsHsts(o.config.env) },
  };
}
