/**
 * Files the edge's nginx workers read: certificates (`tls/<name>.pem`, chain then key) and
 * HTTP-01 challenge answers (`acme-challenge/<token>`). Both directories are 0710
 * root:<web group> inside `edge/` (layout.ts), which tenants cannot enter; each file is written
 * given to the web group as 0640 and renamed into place (files/atomic-write.ts), so nginx never
 * reads half a file and a handshake never pairs a new chain with an old key.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../files/atomic-write.js';
import { safeAcmeToken, safeHostname } from '../runtime/local/escape.js';
import { DEFAULT_CERT_NAME } from '../runtime/local/render-nginx-tls.js';

/** A certificate file name: a host name, or the default certificate's. */
export function safeCertName(name: string): string {
  return name === DEFAULT_CERT_NAME ? name : safeHostname(name);
}

/** 0640 root:<web group> when there is a web group (root), else the current user's 0600. */
const writeForEdge = (path: string, text: string, webGid: number | null) =>
  webGid === null ? writeFileAtomic(path, text, 0o600) : writeFileAtomic(path, text, 0o640, { uid: 0, gid: webGid });

export function createEdgeFiles(o: { certsDir: string; challengeDir: string; webGid: number | null }) {
  const certPath = (name: string) => join(o.certsDir, `${safeCertName(name)}.pem`);
  return {
    certPath,
    writeCertificate: (name: string, pem: string) => writeForEdge(certPath(name), pem, o.webGid),
    readCertificate: (name: string) => readFile(certPath(name), 'utf8').catch(() => null),
    removeCertificate: (name: string) => rm(certPath(name), { force: true }),
    /** Names that have a certificate file (temp files a kill -9 left are removed). */
    async certificateNames(): Promise<string[]> {
      const out: string[] = [];
      for (const f of await readdir(o.certsDir)) {
        if (f.endsWith('.tmp')) await rm(join(o.certsDir, f), { force: true });
        else if (f.endsWith('.pem')) out.push(f.slice(0, -4));
      }
      return out;
    },
    /** Challenge answers and temp files a kill -9 left (no order is in flight at start). */
    async clearChallenges(): Promise<void> {
      for (const f of await readdir(o.challengeDir)) await rm(join(o.challengeDir, f), { force: true });
    },
    writeChallenge: (token: string, keyAuthorization: string) => writeForEdge(join(o.challengeDir, safeAcmeToken(token)), keyAuthorization, o.webGid),
    removeChallenge: (token: string) => rm(join(o.challengeDir, safeAcmeToken(token)), { force: true }),
  };
}

export type EdgeFiles = ReturnType<typeof createEdgeFiles>;
