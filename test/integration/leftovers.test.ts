/**
 * What a killed run left behind (leftovers.ts) and who holds a socket (os/processes.ts), against
 * real processes: groups of this runtime dir are stopped whole (leader dead or alive), a PID record
 * whose PID now names another process is left alone, and a socket is owned only by its listener.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isIdentityAlive, isRunning, listenerIsOwnedBy, processIdentity, readProcStat } from '../../src/adapters/os/processes.js';
import { pidRecordDir, stopLeftovers, writePidRecord } from '../../src/adapters/runtime/local/leftovers.js';
import { createLogger } from '../../src/main/logger.js';
import { pollUntil } from '../support/poll.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn();
});

function tempRuntime(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bbws-leftovers-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'runtime');
  mkdirSync(root);
  return root;
}

/** A detached shell (its own group) that forks a worker and ignores SIGTERM, like a stuck master. */
function startGroup(args: string[], ignoreTerm = false) {
  const script = `${ignoreTerm ? "trap '' TERM; " : ''}sleep 300 & wait`;
  const c = spawn('sh', ['-c', script, ...args], { detached: true, stdio: 'ignore' });
  cleanups.push(() => {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  return c.pid!;
}
const groupMembers = (pgid: number) => {
  const out: number[] = [];
  for (let pid = pgid; pid < pgid + 50; pid++) if (readProcStat(pid)?.pgrp === pgid && isRunning(pid)) out.push(pid);
  return out;
};

describe('leftovers of a killed run', () => {
  it('stops recorded groups and groups whose command line names the runtime dir, and nothing else', async () => {
    const root = tempRuntime();
    const logger = createLogger({ level: 'error', stdout: false });
    // A recorded master, and a master whose record was never written but whose argv names the dir.
    const recorded = startGroup(['master-a']);
    writePidRecord(pidRecordDir(root), 'master-a', recorded);
    const unrecorded = startGroup([`${root}/php-fpm/shard-1.conf`], true);
    // A stranger: a record whose PID is alive but is another process (its start time differs).
    const stranger = startGroup(['stranger']);
    mkdirSync(pidRecordDir(root), { recursive: true });
    const [boot, , ticks] = processIdentity(stranger)!.split(':');
    writeFileSync(join(pidRecordDir(root), `${stranger}.json`), JSON.stringify({ name: 'x', pid: stranger, identity: `${boot}:${stranger}:${Number(ticks) - 100}` }));
    await pollUntil('workers forked', async () => groupMembers(recorded).length === 2 && groupMembers(unrecorded).length === 2, 5_000);
    const workerOfRecorded = groupMembers(recorded).find((p) => p !== recorded)!;
    // The recorded master died already (as under a parent-death signal); its worker lives on in its group.
    process.kill(recorded, 'SIGKILL');

    const stopped = await stopLeftovers(root, logger, 500);
    expect(stopped).toBe(2);
    expect(isRunning(workerOfRecorded)).toBe(false);
    expect(groupMembers(unrecorded)).toEqual([]); // ignored SIGTERM: SIGKILLed after the grace
    expect(isRunning(stranger)).toBe(true);
  });

  it('knows a process by PID and start time', () => {
    const me = processIdentity()!;
    expect(isIdentityAlive(me)).toBe(true);
    const [boot, pid, ticks] = me.split(':');
    expect(isIdentityAlive(`${boot}:${pid}:${Number(ticks) + 1}`)).toBe(false);
    expect(isIdentityAlive(`another-boot:${pid}:${ticks}`)).toBe(false);
    expect(isIdentityAlive(`${boot}:999999999:1`)).toBe(false);
  });

  it('tells whether a listening socket belongs to a given PID', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bbws-sock-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 's.sock');
    expect(listenerIsOwnedBy(process.pid, { unixPath: path })).toBeNull();
    const server = createServer().listen(path);
    await new Promise((r) => server.once('listening', r));
    const tcp = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => tcp.once('listening', r));
    cleanups.push(() => void server.close(), () => void tcp.close());
    const other = startGroup(['other']);
    expect(listenerIsOwnedBy(process.pid, { unixPath: path })).toBe(true);
    expect(listenerIsOwnedBy(other, { unixPath: path })).toBe(false);
    const port = (tcp.address() as { port: number }).port;
    expect(listenerIsOwnedBy(process.pid, { tcpPort: port })).toBe(true);
    expect(listenerIsOwnedBy(other, { tcpPort: port })).toBe(false);
  });
});
