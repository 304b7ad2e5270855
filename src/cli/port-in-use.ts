/**
 * "Port 8080 is in use (by pid 1234, node); stop it or pass --api-port": checked before `bbws up`
 * starts anything, so a taken port is one clear line instead of an EADDRINUSE stack trace after
 * MariaDB has already started.
 *
 * The owner is found from Linux's /proc (adapters/os/processes.ts findTcpListener): no extra
 * package, and best effort — without /proc or the right to read other processes' fds the message
 * simply names no pid.
 */
import { createServer } from 'node:net';
import { findTcpListener } from '../adapters/os/processes.js';
import { CliError } from './api-client.js';

export function portInUseMessage(port: number, flag: string): string {
  const owner = findTcpListener(port);
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
