/**
 * "Port 8080 is in use (by pid 1234, node); stop it or pass --api-port": checked before `bbws up`
 * starts anything, so a taken port is one clear line instead of an EADDRINUSE stack trace after
 * MariaDB has already started.
 *
 * The owner is found from Linux's /proc (the listening socket's inode in /proc/net/tcp{,6}, then
 * the process holding that inode among its fds): no extra package, and best effort — without
 * /proc or the right to read other processes' fds the message simply names no pid.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { CliError } from './api-client.js';

const LISTEN = '0A';

/** Inodes of sockets listening on this TCP port (IPv4 and IPv6). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== LISTEN) continue;
      if (parseInt(f[1].split(':').pop()!, 16) === port) inodes.add(f[9]);
    }
  }
  return inodes;
}

/** The process listening on a TCP port, when /proc tells. */
export function findPortOwner(port: number): { pid: number; command: string } | null {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return null;
  const targets = new Set([...inodes].map((i) => `socket:[${i}]`));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (!targets.has(readlinkSync(`/proc/${entry}/fd/${fd}`))) continue;
      } catch {
        continue;
      }
      let command = '?';
      try {
        command = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      } catch {
        /* gone meanwhile */
      }
      return { pid: Number(entry), command };
    }
  }
  return null;
}

export function portInUseMessage(port: number, flag: string): string {
  const owner = findPortOwner(port);
  const by = owner ? ` (by pid ${owner.pid}, ${owner.command})` : '';
  return `Port ${port} is in use${by}; stop that process or pass ${flag} with a free port.`;
}

/** Throws a CliError naming the owner when nothing can listen on host:port. Port 0 is always free. */
export async function assertPortFree(port: number, host: string, flag: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new CliError(portInUseMessage(port, flag)));
      else if (err.code === 'EACCES') reject(new CliError(`Port ${port} needs privileges to listen on; run as root or pass ${flag} with a port above 1023.`));
      else reject(err);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** An EADDRINUSE from a listen inside the platform (a race with the check above), as one line. */
export function asPortError(err: unknown, ports: { port: number; flag: string }[]): unknown {
  const e = err as NodeJS.ErrnoException & { port?: number };
  if (e?.code !== 'EADDRINUSE') return err;
  const which = ports.find((p) => p.port === e.port) ?? ports[0];
  return new CliError(portInUseMessage(e.port ?? which.port, which.flag));
}
