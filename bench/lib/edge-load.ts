/**
 * Load on the edge with autocannon (its own process, so it does not share bbws's event loop):
 * HTTP keep-alive, or HTTPS with keep-alive and SNI `host` (autocannon does not check the
 * certificate; the handshake is the edge's usual one).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const sh = promisify(execFile);

export interface Load {
  rps: number;
  p99: number;
  non2xx: number;
}

export async function loadEdge(o: { port: number; host: string; path: string; connections: number; seconds: number; https?: boolean }): Promise<Load> {
  const scheme = o.https ? 'https' : 'http';
  const tls = o.https ? ['--servername', o.host] : [];
  const { stdout } = await sh(join(process.cwd(), 'node_modules/.bin/autocannon'), ['-c', String(o.connections), '-d', String(o.seconds), '-H', `Host=${o.host}:${o.port}`, ...tls, '--json', `${scheme}://127.0.0.1:${o.port}${o.path}`], { maxBuffer: 64 * 1024 * 1024 });
  const r = JSON.parse(stdout) as { requests: { average: number }; latency: { p99: number }; non2xx: number; errors: number };
  if (r.non2xx > 0) throw new Error(`${scheme} ${o.path}: ${r.non2xx} answers were not 2xx (an edge limit? a redirect?): the figures would not be the page's`);
  return { rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx };
}
