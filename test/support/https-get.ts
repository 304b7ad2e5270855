/**
 * One GET to the edge over HTTPS (or HTTP) on 127.0.0.1 with SNI and Host `host`, trusting only
 * `ca` (none: the certificate is not checked). Returns what the TLS tests look at: status,
 * headers, body, and the served certificate's serial number and issuer CN.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface EdgeAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Empty over plain HTTP. */
  serial: string;
  issuer: string;
}

export function edgeGet(o: { port: number; host: string; path?: string; https?: boolean; ca?: string | string[]; headers?: Record<string, string> }): Promise<EdgeAnswer> {
  return new Promise((resolve, reject) => {
    const tls = o.https !== false;
    const options = { host: '127.0.0.1', port: o.port, path: o.path ?? '/', agent: false as const, headers: { host: `${o.host}:${o.port}`, ...o.headers } };
    const onResponse = (res: import('node:http').IncomingMessage) => {
      const peer = tls ? (res.socket as TLSSocket).getPeerCertificate() : null;
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, serial: peer?.serialNumber ?? '', issuer: String(peer?.issuer?.CN ?? '') }));
    };
    const req = tls
      ? httpsRequest({ ...options, servername: o.host, ...(o.ca ? { ca: o.ca } : { rejectUnauthorized: false }) }, onResponse)
      : httpRequest(options, onResponse);
    req.on('error', reject);
    req.end();
  });
}
