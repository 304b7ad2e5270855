/**
 * Open-loop HTTP load at a constant rate, for "p99 at N req/s" targets. Request i is due at
 * start + i / rate, whatever happened to the earlier ones, and its latency is measured from that
 * due time (so a stall shows up in every request it delayed: no coordinated omission). Requests
 * go over `connections` keep-alive sockets (raw TCP with a minimal HTTP/1.1 reader, so the
 * generator's own cost stays far below the server's); a request finding them all busy waits, and that wait
 * counts. autocannon's `-R` is not this: it lets each connection send its share of a second as
 * fast as it can and then sleep until the next second, which is a burst at saturation each
 * second, not a rate.
 *
 * Run as its own process (its own event loop and core), as the API bench does:
 *   node --import tsx bench/lib/open-loop.ts --url URL --rate 2000 --duration 10 [--connections 32] [--header 'k: v']
 * Prints one JSON object: { sent, completed, non2xx, errors, ratePerSec, p50Ms, p90Ms, p99Ms, maxMs }.
 */
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { percentileOfSorted } from './stats.js';

export interface OpenLoopResult {
  sent: number;
  completed: number;
  non2xx: number;
  errors: number;
  /** Completed requests per second of the run. */
  ratePerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** One keep-alive connection: sends one request at a time, reads `Content-Length` framed answers. */
class Connection {
  private socket: Socket;
  private buffer: Buffer = Buffer.alloc(0);
  busy = false;
  private current: { dueAt: number; index: number } | null = null;

  constructor(
    host: string,
    port: number,
    private readonly requestBytes: Buffer,
    private readonly onDone: (conn: Connection, dueAt: number, index: number, status: number) => void,
    private readonly onError: (conn: Connection, index: number, err: Error) => void,
  ) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk) => this.read(chunk));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  send(dueAt: number, index: number): void {
    this.busy = true;
    this.current = { dueAt, index };
    this.socket.write(this.requestBytes);
  }

  close(): void {
    this.current = null;
    this.socket.destroy();
  }

  private fail(err: Error): void {
    const current = this.current;
    this.current = null;
    if (current) this.onError(this, current.index, err);
  }

  private read(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : Buffer.from(chunk);
    const headerEnd = this.buffer.indexOf('\r\n\r\n');
    if (headerEnd < 0 || !this.current) return;
    const head = this.buffer.toString('latin1', 0, headerEnd);
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!length) return this.fail(new Error('answer without Content-Length'));
    const end = headerEnd + 4 + Number(length[1]);
    if (this.buffer.length < end) return;
    const status = Number(head.slice(9, 12));
    this.buffer = this.buffer.subarray(end);
    const { dueAt, index } = this.current;
    this.current = null;
    this.busy = false;
    this.onDone(this, dueAt, index, status);
  }
}

export async function runOpenLoop(options: {
  url: string;
  rate: number;
  durationSeconds: number;
  connections: number;
  headers: Record<string, string>;
}): Promise<OpenLoopResult> {
  const url = new URL(options.url);
  const headerLines = Object.entries({ host: url.host, ...options.headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  const requestBytes = Buffer.from(`GET ${url.pathname}${url.search} HTTP/1.1\r\n${headerLines}\r\n`, 'latin1');
  const total = Math.round(options.rate * options.durationSeconds);
  const latencies = new Float64Array(total).fill(Number.NaN);
  const intervalMs = 1000 / options.rate;
  let sent = 0;
  let answered = 0;
  let completed = 0;
  let non2xx = 0;
  let errors = 0;
  /** Requests that came due while every connection was busy: they wait, and the wait counts. */
  const waiting: number[] = [];
  const connections: Connection[] = [];
  let start = 0;

  await new Promise<void>((resolve) => {
    const settle = (conn: Connection) => {
      if (++answered === total) return resolve();
      const next = waiting.shift();
      if (next !== undefined) conn.send(start + next * intervalMs, next);
    };
    const onDone = (conn: Connection, dueAt: number, index: number, status: number) => {
      latencies[index] = performance.now() - dueAt;
      completed++;
      if (status < 200 || status >= 300) non2xx++;
      settle(conn);
    };
    const onError = (conn: Connection, _index: number, _err: Error) => {
      errors++;
      const i = connections.indexOf(conn);
      conn.close();
      connections[i] = open(); // replace the broken connection
      settle(connections[i]);
    };
    const open = () => new Connection(url.hostname, Number(url.port || 80), requestBytes, onDone, onError);
    for (let i = 0; i < options.connections; i++) connections.push(open());
    start = performance.now();
    // Each tick sends every request that has come due since the last one.
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * intervalMs <= now) {
        const idle = connections.find((c) => !c.busy);
        if (idle) idle.send(start + sent * intervalMs, sent);
        else waiting.push(sent);
        sent++;
      }
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
    };
    tick();
  });
  const elapsedS = (performance.now() - start) / 1000;
  for (const c of connections) c.close();
  const sorted = latencies.filter((v) => !Number.isNaN(v)).sort();
  return {
    sent,
    completed,
    non2xx,
    errors,
    ratePerSec: completed / elapsedS,
    p50Ms: percentileOfSorted(sorted, 50),
    p90Ms: percentileOfSorted(sorted, 90),
    p99Ms: percentileOfSorted(sorted, 99),
    maxMs: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      rate: { type: 'string', default: '2000' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '32' },
      header: { type: 'string', multiple: true, default: [] },
    },
  });
  if (!values.url) throw new Error('--url is required');
  const headers: Record<string, string> = {};
  for (const h of values.header ?? []) {
    const i = h.indexOf(':');
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  const result = await runOpenLoop({
    url: values.url,
    rate: Number(values.rate),
    durationSeconds: Number(values.duration),
    connections: Number(values.connections),
    headers,
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
