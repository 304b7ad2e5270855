/**
 * Reads the edge's log of failed WordPress logins (render-nginx-login.ts) as it grows: reports
 * each failure (with the tenant whose route the host is), and blocks an address on a host after
 * too many failures within the window by creating its block file, removed again after the
 * cool-down. Its read position is kept beside the log (`login-failures.offset`), so a restarted
 * or killed bbws neither loses nor repeats a failure.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogTail, tenantOfHost } from './edge-log-tail.js';
import { LOGIN_BLOCKS_DIR, LOGIN_FAILURES_LOG, loginBlockFileName } from './render-nginx-login.js';

export interface LoginFailure {
  time: string;
  ip: string;
  host: string;
  uri: string;
  user: string;
  status: number;
  /** The tenant the host routes to (null: no route any more). */
  tenantId: string | null;
}

export interface LoginBlock {
  host: string;
  ip: string;
  failures: number;
  until: string;
  tenantId: string | null;
}

export interface LoginGuardOptions {
  edgeDir: string;
  routesDir: string;
  maxFailures: number;
  windowMs: number;
  blockMs: number;
  now?: () => number;
  onFailure(f: LoginFailure): void;
  onBlock(b: LoginBlock): void;
  onUnblock(b: { host: string; ip: string }): void;
}

export function createLoginGuard(o: LoginGuardOptions) {
  const now = o.now ?? Date.now;
  const tail = createLogTail(join(o.edgeDir, 'logs', LOGIN_FAILURES_LOG), join(o.edgeDir, 'logs', 'login-failures.offset'));
  const blocksDir = join(o.edgeDir, LOGIN_BLOCKS_DIR);
  const recent = new Map<string, number[]>();

  const ensureBlocksDir = () => {
    if (existsSync(blocksDir)) return;
    // nginx workers stat the block files: the directory has the edge dir's group (the web group).
    mkdirSync(blocksDir, { mode: 0o710 });
    const st = statSync(o.edgeDir);
    chownSync(blocksDir, st.uid, st.gid);
    chmodSync(blocksDir, 0o710); // the process umask (0077) took the group's search bit
  };

  const block = (f: LoginFailure, failures: number) => {
    ensureBlocksDir();
    const file = join(blocksDir, loginBlockFileName(f.host, f.ip));
    if (existsSync(file)) return;
    // nginx's -f opens the file: the workers' group must be able to read it.
    writeFileSync(file, `${f.tenantId ?? ''}\n`, { mode: 0o640 });
    const dir = statSync(blocksDir);
    chownSync(file, dir.uid, dir.gid);
    chmodSync(file, 0o640);
    o.onBlock({ host: f.host, ip: f.ip, failures, until: new Date(now() + o.blockMs).toISOString(), tenantId: f.tenantId });
  };

  const expireBlocks = () => {
    if (!existsSync(blocksDir)) return;
    for (const name of readdirSync(blocksDir)) {
      const file = join(blocksDir, name);
      if (statSync(file).mtimeMs + o.blockMs > now()) continue;
      unlinkSync(file);
      const at = name.indexOf('@');
      o.onUnblock({ host: name.slice(0, at), ip: name.slice(at + 1) });
    }
  };

  return {
    /** Reads what was logged since the last call, then expires old blocks. */
    poll(): void {
      for (const line of tail.readNew()) {
        let raw: { time: string; ip: string; host: string; uri: string; user: string; status: number };
        try {
          raw = JSON.parse(line);
        } catch {
          continue;
        }
        let user = raw.user;
        try {
          user = decodeURIComponent(raw.user);
        } catch {
          /* kept as logged */
        }
        const f: LoginFailure = { ...raw, user, tenantId: tenantOfHost(o.routesDir, raw.host) };
        o.onFailure(f);
        const key = `${f.host}@${f.ip}`;
        const times = (recent.get(key) ?? []).filter((t) => t > now() - o.windowMs);
        times.push(now());
        recent.set(key, times);
        if (times.length >= o.maxFailures) {
          recent.delete(key);
          block(f, times.length);
        }
      }
      tail.save();
      expireBlocks();
    },
  };
}
