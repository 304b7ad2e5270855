/**
 * A real Pebble (Let's Encrypt's ACME test server, Debian's `pebble`) on loopback, for the edge's
 * certificates: ephemeral ports, its own temp dir, HTTP-01 validated on `httpPort` (the edge's
 * HTTP port) after resolving names with `dnsServer` (dnsmasq on loopback, test/support/dnsmasq.ts).
 * Pebble's own HTTPS certificate comes from a throwaway local CA (`caFile` trusts it). Started in
 * the foreground and stopped by its PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/adapters/runtime/local/mariadb.js';
import { createCaMaterial, loadLocalCa } from '../../src/adapters/tls/local-ca.js';
import { pollUntil } from './poll.js';

export interface Pebble {
  /** The ACME directory (`--acme-directory`). */
  directoryUrl: string;
  /** PEM file trusted for Pebble's own HTTPS (`BBWS_ACME_CA_FILE`). */
  caFile: string;
  /** The root that signs the certificates Pebble issues (from its management API). */
  issuingRoot(): Promise<string>;
  /** Whether Pebble has the certificate with this serial (hex) as revoked. */
  isRevoked(serialHex: string): Promise<boolean>;
  pid: number;
  stop(): Promise<void>;
}

function get(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 2_000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export async function startPebble(o: { httpPort: number; dnsServer: string }): Promise<Pebble> {
  const dir = await mkdtemp(join(tmpdir(), 'bbws-pebble-'));
  const material = await createCaMaterial('bbws test CA for Pebble', new Date());
  const leaf = await (await loadLocalCa(material)).issue(['127.0.0.1', 'localhost'], new Date());
  const caFile = join(dir, 'ca.pem');
  await writeFile(caFile, material.certificatePem);
  await writeFile(join(dir, 'cert.pem'), leaf.certificatePem);
  await writeFile(join(dir, 'key.pem'), leaf.keyPem, { mode: 0o600 });
  const [port, mgmt, tlsPort] = [await freePort(), await freePort(), await freePort()];
  const config = {
    pebble: {
      listenAddress: `127.0.0.1:${port}`,
      managementListenAddress: `127.0.0.1:${mgmt}`,
      certificate: join(dir, 'cert.pem'),
      privateKey: join(dir, 'key.pem'),
      httpPort: o.httpPort,
      tlsPort,
      ocspResponderURL: '',
      externalAccountBindingRequired: false,
    },
  };
  await writeFile(join(dir, 'pebble.json'), JSON.stringify(config));
  // No random validation delay, no spurious badNonce, fresh authorizations each order: the
  // challenge is answered by the edge every time.
  const env = { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' };
  const child: ChildProcess = spawn('pebble', ['-config', join(dir, 'pebble.json'), '-dnsserver', o.dnsServer], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output = (output + d).slice(-4000)));
  child.stderr!.on('data', (d) => (output = (output + d).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  const directoryUrl = `https://127.0.0.1:${port}/dir`;
  try {
    await pollUntil(`pebble on ${port}`, async () => {
      if (child.exitCode !== null) throw new Error(`pebble exited: ${output}`);
      return get(directoryUrl, material.certificatePem).then((r) => r.status === 200, () => false);
    }, 10_000, 50);
  } catch (err) {
    await stop();
    throw err;
  }
  const management = (path: string) => get(`https://127.0.0.1:${mgmt}${path}`, material.certificatePem);
  return {
    directoryUrl,
    caFile,
    pid: child.pid!,
    async issuingRoot() {
      const r = await management('/roots/0');
      if (r.status !== 200) throw new Error(`pebble /roots/0: ${r.status}`);
      return r.body;
    },
    async isRevoked(serialHex) {
      const r = await management(`/cert-status-by-serial/${serialHex.toLowerCase().replace(/^0+/, '')}`);
      return r.status === 200 && /"Status":\s*"Revoked"/i.test(r.body);
    },
    stop,
  };
}
