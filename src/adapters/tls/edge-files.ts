/**
 * Files the edge's nginx workers read: certificates (`tls/<name>.pem`, chain then key) and
 * HTTP-01 challenge answers (`acme-challenge/<token>`). Both directories are 0710
 * root:<web group> inside `edge/` (layout.ts), which tenants cannot enter; each file is written
 * 0600, given to the web group as 0640, then renamed into place, so nginx never reads half a file
 * and a handshake never pairs a new chain with an old key.
 */
import { randomBytes } from 'node:crypto';
import { chmod, chown, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { safeAcmeToken, safeHostname } from '../runtime/local/escape.js';
import { DEFAULT_CERT_NAME } from '../runtime/local/render-nginx-tls.js';

/** A certificate file name: a host name, or the default certificate's. */
export function safeCertName(name: string): string {
  return name === DEFAULT_CERT_NAME ? name : safeHostname(name);
}

async function writeForEdge(path: string, text: string, webGid: number | null): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, text, { mode: 0o600 });
    if (webGid !== null) {
      await chown(tmp, 0, webGid);
      await chmod(tmp, 0o640);
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export function createEdgeFiles(o: { certsDir: string; challengeDir: string; webGid: number | null }) {
  const certPath = (name: string) => join(o.certsDir, `${safeCertName(name)}.pem`);
  return {
    certPath,
    writeCertificate: (name: string, pem: string) => writeForEdge(certPath(name), pem, o.webGid),
    readCertificate: (name: string) => readFile(certPath(name), 'utf8').catch(() => null),
    removeCertificate: (name: string) => rm(certPath(name), { force: true }),
    /** Names that have a certificate file (half-written temp files are removed). */
    async certificateNames(): Promise<string[]> {
      const out: string[] = [];
      for (const f of await readdir(o.certsDir)) {
        if (f.includes('.tmp-')) await rm(join(o.certsDir, f), { force: true });
        else if (f.endsWith('.pem')) out.push(f.slice(0, -4));
      }
      return out;
    },
    writeChallenge: (token: string, keyAuthorization: string) => writeForEdge(join(o.challengeDir, safeAcmeToken(token)), keyAuthorization, o.webGid),
    removeChallenge: (token: string) => rm(join(o.challengeDir, safeAcmeToken(token)), { force: true }),
  };
}

export type EdgeFiles = ReturnType<typeof createEdgeFiles>;
