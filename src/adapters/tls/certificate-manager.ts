/**
 * Keeps a certificate beside every routed host name (docs/tls.md). The route table (`edge/routes`)
 * is the list of names, as it is for nginx: a new route is issued for right away (`kick`, called
 * by the edge after addRoute, never awaited by provisioning: the tenant is ACTIVE without it), and
 * a sweep every minute renews at two thirds of the lifetime, retries failures with backoff, and
 * removes certificates of names no longer routed. An expired certificate whose renewal failed is
 * removed from the edge, so the site falls back to HTTP instead of a browser error.
 *
 * Sources (domain/tls.ts): ACME for real names, the local CA for local ones (auto mode), the
 * operator's own (manual; never replaced). Failures are kept in `<dataDir>/tls/state.json` and shown
 * by `list()` and `health()`. Private keys are never logged nor returned.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { dirname, join } from 'node:path';
import { BbwsError } from '../../domain/errors.js';
import { renewalTime, retryDelayMs, sourceFor, type CertificateSource, type TlsSettings } from '../../domain/tls.js';
import type { CertificateInfo, Certificates } from '../../ports/certificates.js';
import type { Logger } from '../../ports/logger.js';
import type { ComponentHealth } from '../../ports/runtime.js';
import type { Secrets } from '../../ports/secrets.js';
import { isValidHostname } from '../../domain/naming.js';
import { DEFAULT_CERT_NAME } from '../runtime/local/render-nginx-tls.js';
import { createAcmeIssuer, type AcmeIssuer } from './acme-issuer.js';
import type { EdgeFiles } from './edge-files.js';
import { createCaMaterial, loadLocalCa, type LocalCa, type PemPair } from './local-ca.js';
import { validateCertificateBundle } from './validate-certificate.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { serialLane } from '../serial-lane.js';

export interface CertificateManagerOptions {
  settings: TlsSettings;
  env: string;
  routesDir: string;
  files: EdgeFiles;
  /** Platform-private state (failures, which names are manual): `<dataDir>/tls/state.json`. */
  stateFile: string;
  secrets: Secrets;
  logger: Logger;
  now?: () => number;
  /** Period of the renewal sweep (default 60 s). */
  sweepIntervalMs?: number;
  /** Retries of a failed request to the ACME CA (acme-issuer.ts). */
  acmeRetries?: number;
  /** Route names that are never certified (php-fpm warm-up routes). */
  ignoreRoute?: (name: string) => boolean;
}

export interface CertificateManager extends Certificates {
  /** Starts the sweeps (the first right away): call once the edge serves challenges. */
  start(): void;
  /** Issues for new routes soon (after addRoute); the promise settles when that sweep ends. */
  kick(): Promise<void>;
  /** One sweep now: issue, renew, retry, clean up. */
  sweep(): Promise<void>;
  health(): Promise<ComponentHealth>;
  stop(): Promise<void>;
}

interface NameState {
  manual?: boolean;
  failures?: number;
  lastError?: string;
  nextAttemptAt?: number;
}

interface Parsed {
  notBefore: Date;
  notAfter: Date;
  renewAt: Date;
  issuer: string;
  serialNumber: string;
}

function parse(pem: string | null): Parsed | null {
  const block = pem?.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0];
  if (!block) return null;
  try {
    const c = new X509Certificate(block);
    const notBefore = new Date(c.validFrom);
    const notAfter = new Date(c.validTo);
    return { notBefore, notAfter, renewAt: renewalTime(notBefore, notAfter), issuer: c.issuer.replace(/\n/g, ', '), serialNumber: c.serialNumber };
  } catch {
    return null;
  }
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').slice(0, 300);

export async function startCertificateManager(o: CertificateManagerOptions): Promise<CertificateManager> {
  const now = o.now ?? Date.now;
  const log = o.logger.child({ component: 'tls' });
  const caSecret = `${o.env}-tls-local-ca`;
  let material = await o.secrets.get(caSecret);
  if (!material) {
    material = JSON.stringify(await createCaMaterial(`BBWS ${o.env} local CA`, new Date(now())));
    await o.secrets.put(caSecret, material);
    log.info({ action: 'TLS_CA_CREATED' }, 'created the local CA (bbws certs ca prints it)');
  }
  const caPair = JSON.parse(material) as PemPair;
  const ca: LocalCa = await loadLocalCa(caPair);
  const acmeIssuer: AcmeIssuer | null = o.settings.mode === 'auto'
    ? createAcmeIssuer({ directoryUrl: o.settings.acmeDirectory, email: o.settings.acmeEmail, caFile: o.settings.acmeCaFile, secrets: o.secrets, accountSecretName: `${o.env}-tls-acme-account-key`, files: o.files, retries: o.acmeRetries })
    : null;

  await mkdir(dirname(o.stateFile), { recursive: true, mode: 0o700 });
  let state: Record<string, NameState> = {};
  try {
    state = JSON.parse(await readFile(o.stateFile, 'utf8')) as Record<string, NameState>;
  } catch {
    // Absent (first start) or unreadable: failures are forgotten, manual names are still on disk.
  }
  const saveState = () => writeFileAtomic(o.stateFile, JSON.stringify(state, null, 2), 0o600);
  await o.files.clearChallenges();

  const routed = async (): Promise<string[]> =>
    (await readdir(o.routesDir)).filter((n) => !n.endsWith('.tmp') && isValidHostname(n) && !o.ignoreRoute?.(n)).sort();
  const isRouted = (name: string) => name === DEFAULT_CERT_NAME || (isValidHostname(name) && existsSync(join(o.routesDir, name)));
  const sourceOf = (name: string): CertificateSource | null => (state[name]?.manual ? 'manual' : name === DEFAULT_CERT_NAME ? 'local-ca' : sourceFor(o.settings.mode, name));

  const issueFrom = async (source: CertificateSource, name: string): Promise<PemPair> => {
    if (source === 'local-ca') return ca.issue([name === DEFAULT_CERT_NAME ? 'default.bbws.invalid' : name], new Date(now()));
    if (source === 'acme' && acmeIssuer) return acmeIssuer.issue(name);
    throw new Error(`no issuer for ${source} certificates in ${o.settings.mode} mode`);
  };

  /** Issues `name` when it needs it (or `force`); records failures. Returns the error, if any. */
  const ensure = async (name: string, force: boolean): Promise<string | null> => {
    const source = sourceOf(name);
    if (source === null || source === 'manual') return null;
    const current = parse(await o.files.readCertificate(name));
    const t = now();
    const st = state[name] ?? {};
    if (!force) {
      if (current && t < current.renewAt.getTime()) return null;
      if (st.nextAttemptAt && t < st.nextAttemptAt) {
        if (current && t > current.notAfter.getTime()) await o.files.removeCertificate(name);
        return null;
      }
    }
    const started = Date.now();
    try {
      const pair = await issueFrom(source, name);
      await o.files.writeCertificate(name, `${pair.certificatePem.trim()}\n${pair.keyPem.trim()}\n`);
      delete state[name];
      await saveState();
      const issued = parse(pair.certificatePem);
      log.info({ action: 'TLS_ISSUED', hostname: name, source, issuer: issued?.issuer, notAfter: issued?.notAfter.toISOString(), durationMs: Date.now() - started, status: 'OK' }, `certificate for ${name} issued (${source})`);
      return null;
    } catch (err) {
      const failures = (st.failures ?? 0) + 1;
      state[name] = { failures, lastError: describe(err), nextAttemptAt: t + retryDelayMs(failures) };
      await saveState();
      // Better plain HTTP than a certificate a browser refuses.
      if (current && t > current.notAfter.getTime()) await o.files.removeCertificate(name);
      log.warn({ action: 'TLS_ISSUE_FAILED', hostname: name, source, failures, reason: state[name]!.lastError, durationMs: Date.now() - started, status: 'FAILED' }, `certificate for ${name} not issued: ${state[name]!.lastError} (the site stays on HTTP; retry in ${Math.round(retryDelayMs(failures) / 1000)} s or bbws certs renew ${name})`);
      return state[name]!.lastError!;
    }
  };

  // One issuance at a time: a sweep, a kick and `bbws certs renew` never race on a name's files.
  const lane = serialLane();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => lane.run(fn);

  /**
   * A public certificate of a name this host no longer serves is revoked, not only deleted: its
   * key stays valid in nobody's hands. A failed revocation is logged; the file goes anyway.
   */
  const revokeUnrouted = async (name: string) => {
    const pem = await o.files.readCertificate(name);
    const parsed = parse(pem);
    if (!acmeIssuer || !pem || !parsed || sourceFor(o.settings.mode, name) !== 'acme' || now() > parsed.notAfter.getTime()) return;
    try {
      await acmeIssuer.revoke(pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0]);
      log.info({ action: 'TLS_REVOKED', hostname: name, serialNumber: parsed.serialNumber, status: 'OK' }, `certificate for ${name} revoked: the name is no longer routed`);
    } catch (err) {
      log.warn({ action: 'TLS_REVOKED', hostname: name, serialNumber: parsed.serialNumber, status: 'FAILED', reason: describe(err) }, `certificate for ${name} not revoked: ${describe(err)}`);
    }
  };

  const sweepNow = async () => {
    const names = await routed();
    await ensure(DEFAULT_CERT_NAME, false);
    // Local names first (signed at once), then ACME names: a CA that is slow or down (each
    // request retried for up to a minute) never keeps a new local tenant on HTTP.
    const local = names.filter((n) => sourceOf(n) === 'local-ca');
    for (const name of [...local, ...names.filter((n) => sourceOf(n) !== 'local-ca')]) await ensure(name, false);
    const keep = new Set([...names, DEFAULT_CERT_NAME]);
    for (const name of await o.files.certificateNames()) {
      if (keep.has(name) || state[name]?.manual) continue;
      await revokeUnrouted(name);
      await o.files.removeCertificate(name);
      log.info({ action: 'TLS_REMOVED', hostname: name }, `certificate for ${name} removed: the name is no longer routed`);
    }
    for (const name of Object.keys(state)) if (!keep.has(name) && !state[name]!.manual) delete state[name];
  };
  const sweep = () => serial(sweepNow);

  const info = async (name: string): Promise<CertificateInfo> => {
    const parsed = parse(await o.files.readCertificate(name));
    const st = state[name] ?? {};
    const source = sourceOf(name);
    const t = now();
    const status = parsed ? (t > parsed.notAfter.getTime() ? 'expired' : 'valid') : st.lastError ? 'failed' : 'pending';
    return {
      name,
      source,
      status,
      issuer: parsed?.issuer ?? null,
      serialNumber: parsed?.serialNumber ?? null,
      notBefore: parsed?.notBefore.toISOString() ?? null,
      notAfter: parsed?.notAfter.toISOString() ?? null,
      renewAt: parsed && source !== 'manual' ? parsed.renewAt.toISOString() : null,
      lastError: st.lastError ?? null,
      nextAttemptAt: st.nextAttemptAt ? new Date(st.nextAttemptAt).toISOString() : null,
    };
  };
  const list = async () => Promise.all([DEFAULT_CERT_NAME, ...(await routed())].map(info));
  const known = (name: string) => {
    if (!isRouted(name)) throw new BbwsError('CERTIFICATE_NOT_FOUND', undefined, { name });
  };

  let kicked: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  const background = () => void sweep().catch((err) => log.error({ action: 'TLS_SWEEP', err: describe(err) }, 'certificate sweep failed'));

  return {
    start() {
      if (timer) return;
      timer = setInterval(background, o.sweepIntervalMs ?? 60_000);
      timer.unref();
      background();
    },
    kick() {
      return (kicked ??= new Promise<void>((r) => setImmediate(r)).then(() => {
        kicked = null;
        return sweep();
      }));
    },
    sweep,
    list,
    async renew(name) {
      known(name);
      const source = sourceOf(name);
      if (source === 'manual') throw new BbwsError('INVALID_STATE', `${name} has an operator's certificate: install a new one with \`bbws certs set ${name} --cert FILE --key FILE\`.`, { name });
      if (source === null) throw new BbwsError('INVALID_STATE', 'In --tls manual mode the platform issues no certificates: install one with `bbws certs set`.', { name });
      const error = await serial(() => ensure(name, true));
      if (error) throw new BbwsError('CERTIFICATE_ISSUANCE_FAILED', undefined, { name, reason: error });
      return info(name);
    },
    async install(name, input) {
      known(name);
      const bundle = validateCertificateBundle(name, input.certificate, input.privateKey, new Date(now()), [caPair.certificatePem]);
      await serial(async () => {
        await o.files.writeCertificate(name, bundle.pem);
        state[name] = { manual: true };
        await saveState();
      });
      const i = await info(name);
      log.info({ action: 'TLS_INSTALLED', hostname: name, source: 'manual', issuer: i.issuer, notAfter: i.notAfter }, `operator certificate for ${name} installed`);
      return i;
    },
    async caCertificate() {
      return caPair.certificatePem;
    },
    async health() {
      const items = await list();
      const bad = items.filter((c) => c.status === 'failed' || c.status === 'expired');
      return { name: 'tls', status: bad.length ? 'degraded' : 'ok', detail: bad.length ? `${bad.map((c) => `${c.name}: ${c.status}${c.lastError ? ` (${c.lastError})` : ''}`).join('; ')}` : `${o.settings.mode}: ${items.filter((c) => c.status === 'valid').length} of ${items.length} certificates valid` };
    },
    async stop() {
      if (timer) clearInterval(timer);
      await lane.run(async () => undefined);
    },
  };
}
