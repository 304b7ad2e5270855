/**
 * Modes of the data dir and of the runtime tree, on a data dir left by older code (state.db 0644,
 * 0755 directories, a rotated log), and where the runtime tree goes (layout.ts).
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { chooseRuntimeRoot, createLayout, dataDirMode, prepareRuntimeTree, RELOCATED_RUNTIME_BASE, relocatedRuntimeRoot, removeRelocatedRuntime, runtimeRootOf, RUNTIME_RECORD } from '../../src/adapters/runtime/local/layout.js';
import { securePlatformDataDir } from '../../src/main/data-dir.js';

const mode = (p: string) => statSync(p).mode & 0o777;
const isRoot = process.getuid?.() === 0;
const initialUmask = process.umask();

describe('data dir and runtime tree modes', () => {
  const dirs: string[] = [];
  const temp = (prefix: string) => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
  afterEach(() => void process.umask(initialUmask));
  afterAll(() => {
    for (const d of dirs) {
      removeRelocatedRuntime(join(d, 'data'));
      rmSync(d, { recursive: true, force: true });
    }
  });

  /** What older versions left: everything readable by others. */
  const oldDataDir = () => {
    const d = join(temp('bbws-old-'), 'data');
    const put = (rel: string, m = 0o644) => {
      writeFileSync(join(d, rel), 'x');
      chmodSync(join(d, rel), m);
    };
    for (const sub of ['', 'logs', 'secrets', 'backups', 'plugins', 'runtime', 'runtime/tenants']) {
      mkdirSync(join(d, sub), { recursive: true });
      chmodSync(join(d, sub), 0o755);
    }
    for (const f of ['state.db', 'state.db-wal', 'state.db-shm', 'jwt.key', 'platform.json', 'logs/bbws.jsonl', 'logs/bbws.jsonl.1', 'secrets/a.secret', 'backups/b.tar', 'runtime/instance-id']) put(f);
    return d;
  };

  it('makes an older data dir private: files 0600, directories 0700, logs and secrets all the way down; the runtime tree is left to layout.ts', () => {
    const d = oldDataDir();
    securePlatformDataDir(d);
    expect(process.umask()).toBe(0o077);
    expect(mode(d)).toBe(0o711);
    for (const f of ['state.db', 'state.db-wal', 'state.db-shm', 'jwt.key', 'platform.json', 'logs/bbws.jsonl', 'logs/bbws.jsonl.1', 'secrets/a.secret']) expect(mode(join(d, f)), f).toBe(0o600);
    for (const f of ['logs', 'secrets', 'backups', 'plugins']) expect(mode(join(d, f)), f).toBe(0o700);
    expect(mode(join(d, 'runtime'))).toBe(0o755);
    // Created from now on: private without a mode given.
    writeFileSync(join(d, 'new-file'), 'x');
    expect(mode(join(d, 'new-file'))).toBe(0o600);
  });

  it('re-sets the runtime tree\'s modes (old logs and configs were 0644) and keeps what nginx must read', () => {
    const d = oldDataDir();
    const layout = createLayout(d);
    mkdirSync(layout.edgeLogs, { recursive: true, mode: 0o755 });
    mkdirSync(layout.phpFpmDir, { recursive: true, mode: 0o755 });
    for (const f of [join(layout.edgeLogs, 'access.log'), join(layout.edgeLogs, 'access.log.1'), join(layout.edgeDir, 'nginx.conf'), join(layout.phpFpmDir, 'shard-0.log')]) {
      writeFileSync(f, 'x');
      chmodSync(f, 0o644);
    }
    writeFileSync(join(layout.edgeDir, 'htpasswd'), 'x');
    chmodSync(join(layout.edgeDir, 'htpasswd'), 0o640);
    prepareRuntimeTree(layout, isRoot ? 0 : null);
    for (const f of [join(layout.edgeLogs, 'access.log'), join(layout.edgeLogs, 'access.log.1'), join(layout.edgeDir, 'nginx.conf'), join(layout.phpFpmDir, 'shard-0.log'), layout.instanceIdFile]) expect(mode(f), f).toBe(0o600);
    expect(mode(join(layout.edgeDir, 'htpasswd'))).toBe(0o640);
    expect(mode(layout.edgeLogs)).toBe(0o700);
    expect(mode(layout.phpFpmPools)).toBe(0o700);
    for (const dir of [layout.edgeDir, layout.edgeRoutes, layout.edgeSockets, layout.edgeTmp, layout.phpFpmDir, layout.phpFpmRun]) expect(mode(dir), dir).toBe(0o710);
    expect(mode(layout.root)).toBe(isRoot ? 0o711 : 0o700);
  });

  it('the data dir is searchable by others only when tenants pass through it', () => {
    expect(dataDirMode(0o40755, true, true)).toBe(0o711);
    expect(dataDirMode(0o40700, true, true)).toBe(0o711);
    expect(dataDirMode(0o40711, false, true)).toBe(0o700);
    expect(dataDirMode(0o40755, true, false)).toBe(0o700);
  });

  it('keeps the runtime tree in the data dir when its parents are searchable', () => {
    const d = join(temp('bbws-pub-'), 'data');
    chmodSync(join(d, '..'), 0o755);
    mkdirSync(d);
    expect(chooseRuntimeRoot(d, true)).toEqual({ root: join(d, 'runtime'), relocated: false });
    expect(readFileSync(join(d, RUNTIME_RECORD), 'utf8').trim()).toBe(join(d, 'runtime'));
  });

  it.runIf(isRoot)('moves it to /var/lib/bbws/<key> under a private parent, records it, and keeps it there', () => {
    const parent = temp('bbws-home-');
    expect(mode(parent)).toBe(0o700);
    const d = join(parent, 'data');
    mkdirSync(d);
    const chosen = chooseRuntimeRoot(d, true);
    expect(chosen).toEqual({ root: relocatedRuntimeRoot(d), relocated: true });
    expect(chosen.root).toMatch(new RegExp(`^${RELOCATED_RUNTIME_BASE}/[0-9a-f]{16}$`));
    expect(mode(RELOCATED_RUNTIME_BASE)).toBe(0o711);
    // Recorded: a later start (parents opened meanwhile) keeps the same tree.
    chmodSync(parent, 0o755);
    expect(chooseRuntimeRoot(d, true).root).toBe(chosen.root);
    expect(runtimeRootOf(d)).toBe(chosen.root);
    mkdirSync(chosen.root, { recursive: true });
    removeRelocatedRuntime(d);
    expect(existsSync(chosen.root)).toBe(false);
  });

  it.runIf(isRoot)('moves it out of a data dir whose path config files cannot take unquoted (a clone dir may have any name)', () => {
    const parent = temp('bbws-pub-');
    chmodSync(parent, 0o755);
    for (const name of ['my[1]*?', 'with space']) {
      const d = join(parent, name);
      mkdirSync(d);
      const chosen = chooseRuntimeRoot(d, true);
      expect(chosen).toEqual({ root: relocatedRuntimeRoot(d), relocated: true });
      expect(createLayout(d).root).toBe(chosen.root);
      removeRelocatedRuntime(d);
    }
  });

  it('without root the tree stays inside (nobody else needs to reach it)', () => {
    const d = join(temp('bbws-home-'), 'data');
    mkdirSync(d);
    expect(chooseRuntimeRoot(d, false).relocated).toBe(false);
  });

  it('refuses a record that names anything but a tree bbws makes', () => {
    const d = join(temp('bbws-rec-'), 'data');
    mkdirSync(d);
    for (const bad of ['/etc', '/var/lib/bbws/../../etc', '/var/lib/bbws/ABC', `${d}/runtime/../..`]) {
      writeFileSync(join(d, RUNTIME_RECORD), `${bad}\n`);
      expect(() => runtimeRootOf(d), bad).toThrow(/not a runtime tree bbws makes/);
    }
  });
});
