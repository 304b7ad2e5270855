/**
 * A real dnsmasq on loopback for custom-domain proofs: serves only the TXT records it is given
 * (`--conf-file=/dev/null --no-resolv --no-hosts`; `--local=/#/` makes it answer NXDOMAIN for
 * the rest, as an authoritative server would, instead of REFUSED), on an ephemeral port, in the foreground, and
 * is stopped by its PID. Needs Debian's dnsmasq-base (installed by .ci/run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { pollUntil } from './poll.js';

/** A UDP port nothing listens on right now (the OS picks it). */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export interface Dnsmasq {
  server: string;
  stop(): Promise<void>;
}

/**
 * `addresses`: domain → IPv4, answered for the domain and every name below it (dnsmasq's
 * `--address=/domain/ip`), as a wildcard A record pointing a CA such as Pebble at the edge.
 */
export async function startDnsmasq(port: number, txtRecords: Record<string, string>, addresses: Record<string, string> = {}): Promise<Dnsmasq> {
  const args = ['--no-daemon', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--local=/#/', '--pid-file', '--user=root'];
  for (const [name, value] of Object.entries(txtRecords)) args.push(`--txt-record=${name},${value}`);
  for (const [domain, ip] of Object.entries(addresses)) args.push(`--address=/${domain}/${ip}`);
  const child: ChildProcess = spawn('dnsmasq', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const server = `127.0.0.1:${port}`;
  try {
    const probe = new Resolver({ timeout: 200, tries: 1 });
    probe.setServers([server]);
    await pollUntil(`dnsmasq on ${server} (${stderr})`, async () => {
      if (child.exitCode !== null) throw new Error(`dnsmasq exited: ${stderr}`);
      return probe.resolveTxt('ready.probe.invalid').then(
        () => true,
        (err: NodeJS.ErrnoException) => err.code === 'ENOTFOUND' || err.code === 'ENODATA',
      );
    }, 5000, 50);
  } catch (err) {
    await stop();
    throw err;
  }
  return { server, stop };
}
