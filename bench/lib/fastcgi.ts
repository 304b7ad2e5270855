/**
 * A minimal FastCGI client (responder role) for the benchmarks: talks to php-fpm directly on its
 * Unix socket the way nginx does (one connection per request, no FCGI_KEEP_CONN — nginx's default
 * without `fastcgi_keep_conn on`). Records: BEGIN_REQUEST, PARAMS…, empty PARAMS, STDIN…, empty
 * STDIN; then STDOUT/STDERR until END_REQUEST. No dependencies.
 */
import { connect } from 'node:net';

const VERSION = 1;
const BEGIN_REQUEST = 1;
const END_REQUEST = 3;
const PARAMS = 4;
const STDIN = 5;
const STDOUT = 6;
const STDERR = 7;
const RESPONDER = 1;
const MAX_CONTENT = 0xffff;

export interface FastCgiResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  stderr: string;
  appStatus: number;
}

function record(type: number, content: Buffer, requestId = 1): Buffer {
  const padding = (8 - (content.length % 8)) % 8;
  const header = Buffer.alloc(8);
  header.writeUInt8(VERSION, 0);
  header.writeUInt8(type, 1);
  header.writeUInt16BE(requestId, 2);
  header.writeUInt16BE(content.length, 4);
  header.writeUInt8(padding, 6);
  return Buffer.concat([header, content, Buffer.alloc(padding)]);
}

/** A stream (PARAMS, STDIN) as records of at most 64 KiB, then the empty record that ends it. */
function stream(type: number, data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += MAX_CONTENT) out.push(record(type, data.subarray(i, i + MAX_CONTENT)));
  out.push(record(type, Buffer.alloc(0)));
  return out;
}

function encodeLength(n: number): Buffer {
  if (n < 128) return Buffer.from([n]);
  const b = Buffer.alloc(4);
  b.writeUInt32BE((n | 0x80000000) >>> 0);
  return b;
}

/** Name-value pairs of a PARAMS stream. */
export function encodeParams(params: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(params)) {
    const n = Buffer.from(name);
    const v = Buffer.from(value);
    parts.push(encodeLength(n.length), encodeLength(v.length), n, v);
  }
  return Buffer.concat(parts);
}

/** The whole request as one buffer (written with a single write, as nginx does for small requests). */
export function encodeRequest(params: Record<string, string>, body: Buffer = Buffer.alloc(0)): Buffer {
  const begin = Buffer.alloc(8);
  begin.writeUInt16BE(RESPONDER, 0); // flags 0: the server closes the connection after the request
  return Buffer.concat([record(BEGIN_REQUEST, begin), ...stream(PARAMS, encodeParams(params)), ...stream(STDIN, body)]);
}

/** Splits a CGI response (`Status:` and other headers, blank line, body). */
function parseCgi(stdout: Buffer): { status: number; headers: Record<string, string>; body: Buffer } {
  let end = stdout.indexOf('\r\n\r\n');
  let sep = 4;
  if (end < 0) {
    end = stdout.indexOf('\n\n');
    sep = 2;
  }
  if (end < 0) return { status: 200, headers: {}, body: stdout };
  const headers: Record<string, string> = {};
  for (const line of stdout.subarray(0, end).toString('latin1').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const status = headers.status ? Number.parseInt(headers.status, 10) : headers.location ? 302 : 200;
  return { status, headers, body: stdout.subarray(end + sep) };
}

/** One request on a new connection to `socketPath`. Rejects on socket errors, timeouts or a truncated response. */
export function fastcgiRequest(socketPath: string, params: Record<string, string>, options: { body?: Buffer; timeoutMs?: number } = {}): Promise<FastCgiResponse> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    const chunks: Buffer[] = [];
    const stderr: Buffer[] = [];
    let pending: Buffer = Buffer.alloc(0);
    let done = false;
    const finish = (err: Error | null, res?: FastCgiResponse) => {
      if (done) return;
      done = true;
      sock.destroy();
      if (err) reject(err);
      else resolve(res!);
    };
    sock.setTimeout(options.timeoutMs ?? 120_000, () => finish(new Error('FastCGI timeout')));
    sock.on('error', (e) => finish(e));
    sock.on('close', () => finish(new Error('FastCGI connection closed before END_REQUEST')));
    sock.on('connect', () => sock.write(encodeRequest(params, options.body)));
    sock.on('data', (data: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, data]) : data;
      while (pending.length >= 8) {
        const type = pending.readUInt8(1);
        const length = pending.readUInt16BE(4);
        const padding = pending.readUInt8(6);
        if (pending.length < 8 + length + padding) break;
        const content = pending.subarray(8, 8 + length);
        pending = pending.subarray(8 + length + padding);
        if (type === STDOUT) chunks.push(content);
        else if (type === STDERR) stderr.push(content);
        else if (type === END_REQUEST) {
          const appStatus = content.readUInt32BE(0);
          const protocolStatus = content.readUInt8(4);
          if (protocolStatus !== 0) return finish(new Error(`FastCGI protocol status ${protocolStatus}`));
          return finish(null, { ...parseCgi(Buffer.concat(chunks)), stderr: Buffer.concat(stderr).toString('utf8'), appStatus });
        }
      }
    });
  });
}

export interface NginxLikeRequest {
  /** `$document_root`: the route directory nginx uses as root (`edge/routes/<host>`). */
  documentRoot: string;
  /** Host name without the port. */
  host: string;
  /** The edge port the client used (nginx passes `HTTP_HOST` as `$host:<port>`). */
  port: number;
  /** Request URI as the client sent it (default `/`). */
  uri?: string;
  method?: string;
  remoteAddr?: string;
}

/**
 * The params the edge sends for `GET <uri>` of a front-controller request (`try_files … /index.php`),
 * mirroring render-nginx.ts's `location ~ \.php$` block.
 */
export function nginxLikeParams(r: NginxLikeRequest): Record<string, string> {
  const uri = r.uri ?? '/';
  const q = uri.indexOf('?');
  return {
    QUERY_STRING: q >= 0 ? uri.slice(q + 1) : '',
    REQUEST_METHOD: r.method ?? 'GET',
    CONTENT_TYPE: '',
    CONTENT_LENGTH: '',
    SCRIPT_NAME: '/index.php',
    SCRIPT_FILENAME: `${r.documentRoot}/index.php`,
    REQUEST_URI: uri,
    DOCUMENT_URI: '/index.php',
    DOCUMENT_ROOT: r.documentRoot,
    SERVER_PROTOCOL: 'HTTP/1.1',
    REQUEST_SCHEME: 'http',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_SOFTWARE: 'nginx',
    REMOTE_ADDR: r.remoteAddr ?? '127.0.0.1',
    REMOTE_PORT: '50000',
    SERVER_ADDR: '127.0.0.1',
    SERVER_PORT: String(r.port),
    SERVER_NAME: r.host,
    REDIRECT_STATUS: '200',
    HTTP_HOST: `${r.host}:${r.port}`,
    HTTP_X_FORWARDED_PROTO: 'http',
    HTTP_PROXY: '',
  };
}
