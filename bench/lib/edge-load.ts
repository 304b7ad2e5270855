/**
 * Load on the edge with autocannon (its own process, so it does not share bbws's event loop):
 * HTTP keep-alive, or HTTPS with keep-alive and SNI `host` (autocannon does not check the
 * certificate; the handshake is the edge's usual one).
 *
 * CPU per request, when `serverPid` (the edge's nginx master) is given: its workers' user + system
 * time over the run, and autocannon's own (this process's reaped children, /proc/self/stat), each
 * divided by the requests served. On a 2-core host client and server share the cores, so req/s
 * alone mixes the client's cost (Node's TLS) into the server's.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const sh = promisify(execFile);

export interface Load {
  rps: number;
  p99: number;
  non2xx: number;
  /** µs of CPU per request: the edge's nginx workers, and the load generator (with `serverPid`). */
  serverCpuUsPerReq?: number;
  clientCpuUsPerReq?: number;
}

const TICK_US = 10_000; // USER_HZ = 100 on Linux
const statTicks = (path: string, fields: [number, number]) => {
  const f = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
  // Fields after "(comm) ": state is index 0, so utime (14th field) is index 11.
  return Number(f[fields[0]]) + Number(f[fields[1]]);
};
/** User + system ticks of the children of `pid` (nginx's workers and cache manager). */
function childrenTicks(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return children.reduce((n, c) => n + (() => { try { return statTicks(`/proc/${c}/stat`, [11, 12]); } catch { return 0; } })(), 0);
}
/** Reaped children's user + system ticks of this process (cutime, cstime). */
const reapedTicks = () => statTicks('/proc/self/stat', [13, 14]);

export async function loadEdge(o: { port: number; host: string; path: string; connections: number; seconds: number; https?: boolean; serverPid?: number }): Promise<Load> {
  const scheme = o.https ? 'https' : 'http';
  const tls = o.https ? ['--servername', o.host] : [];
  const before = o.serverPid ? { server: childrenTicks(o.serverPid), client: reapedTicks() } : null;
  const { stdout } = await sh(join(process.cwd(), 'node_modules/.bin/autocannon'), ['-c', String(o.connections), '-d', String(o.seconds), '-H', `Host=${o.host}:${o.port}`, ...tls, '--json', `${scheme}://127.0.0.1:${o.port}${o.path}`], { maxBuffer: 64 * 1024 * 1024 });
  const cpu = before ? { server: childrenTicks(o.serverPid!) - before.server, client: reapedTicks() - before.client } : null;
  const r = JSON.parse(stdout) as { requests: { average: number; total: number }; latency: { p99: number }; non2xx: number; errors: number };
  if (r.non2xx > 0) throw new Error(`${scheme} ${o.path}: ${r.non2xx} answers were not 2xx (an edge limit? a redirect?): the figures would not be the page's`);
  const perReq = (ticks: number) => (ticks * TICK_US) / Math.max(1, r.requests.total);
  return { rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx, ...(cpu ? { serverCpuUsPerReq: perReq(cpu.server), clientCpuUsPerReq: perReq(cpu.client) } : {}) };
}
