import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalMarketplace, marketplaceOptionsFor } from '../../src/adapters/plugins/local-marketplace.js';
import { BbwsError } from '../../src/domain/errors.js';
import type { PluginMarketplace } from '../../src/ports/plugin-marketplace.js';
import { writeRawZip, zipFixturePlugin } from '../support/plugin-zips.js';

const exec = promisify(execFile);
const HELLO = readFileSync(join(__dirname, '../fixtures/plugins/hello-bbws/hello-bbws.php'), 'utf8');

/** The violations of a rejected publish (it must throw PLUGIN_SECURITY_VIOLATION). */
async function rejected(m: PluginMarketplace, zip: string): Promise<Array<{ rule: string; message: string; file?: string; line?: number }>> {
  const err = await m.publish(zip).then(() => undefined, (e: unknown) => e);
  expect(err, 'publish should be rejected').toBeInstanceOf(BbwsError);
  expect((err as BbwsError).code).toBe('PLUGIN_SECURITY_VIOLATION');
  return (err as BbwsError).details.violations as Array<{ rule: string; message: string }>;
}

describe('local plugin marketplace', () => {
  let dataDir: string;
  let dir: string;
  let m: PluginMarketplace;
  const packagesOnDisk = () => (existsSync(join(dir, 'packages')) ? readdirSync(join(dir, 'packages')) : []);
  const stagingLeft = () => (existsSync(join(dir, 'staging')) ? readdirSync(join(dir, 'staging')) : []);

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'bbws-market-'));
    dir = join(dataDir, 'plugins');
    m = createLocalMarketplace({ ...marketplaceOptionsFor(dataDir), now: () => Date.parse('2026-02-01T10:00:00Z') });
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('publishes an approved package: listed, unpacked read-only, with a manifest', async () => {
    const pkg = await m.publish(await zipFixturePlugin('hello-bbws'));
    expect(pkg).toMatchObject({ slug: 'hello-bbws', version: '1.0.0', name: 'Hello BBWS', vetting: { approved: true, violations: [], vettedAt: '2026-02-01T10:00:00.000Z' } });
    expect(pkg.vetting.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(await m.list()).toEqual([pkg]);
    expect(await m.get('hello-bbws')).toEqual(pkg);
    const main = join(dir, 'packages/hello-bbws/1.0.0/hello-bbws/hello-bbws.php');
    expect(readFileSync(main, 'utf8')).toBe(HELLO);
    expect(statSync(main).mode & 0o777).toBe(0o444);
    const record = JSON.parse(readFileSync(join(dir, 'packages/hello-bbws/1.0.0/package.json'), 'utf8'));
    expect(Object.keys(record.files).sort()).toEqual(['hello-bbws.php', 'readme.txt']);
    expect(stagingLeft()).toEqual([]);
  });

  it('publishing the same version again is idempotent; different content is refused (versions are immutable)', async () => {
    const zip = await zipFixturePlugin('hello-bbws');
    const first = await m.publish(zip);
    expect(await m.publish(zip)).toEqual(first);
    const changed = await zipFixturePlugin('hello-bbws', { overrides: { 'readme.txt': 'changed' } });
    await expect(m.publish(changed)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/immutable/) });
    const bumped = await zipFixturePlugin('hello-bbws', { overrides: { 'hello-bbws.php': HELLO.replace('1.0.0', '1.1.0') } });
    expect((await m.publish(bumped)).version).toBe('1.1.0');
    expect((await m.list()).map((p) => p.version)).toEqual(['1.1.0', '1.0.0']);
    expect((await m.get('hello-bbws'))?.version).toBe('1.1.0');
  });

  it('rejects a malicious package with file:line violations and stores nothing', async () => {
    const violations = await rejected(m, await zipFixturePlugin('evil-widget'));
    const found = violations.map((v) => `${v.rule} ${v.file}:${v.line}`);
    expect(found).toEqual(expect.arrayContaining(['eval-decoded evil-widget.php:15', 'shell-exec evil-widget.php:21', 'remote-include includes/loader.php:4']));
    expect(packagesOnDisk()).toEqual([]);
    expect(stagingLeft()).toEqual([]);
    expect(await m.list()).toEqual([]);
  });

  it('rejects blocklisted and known-vulnerable versions from the operator files', async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'blocklist.json'), JSON.stringify([{ slug: 'hello-bbws', versions: ['<=1.0.0'], reason: 'test block' }]));
    expect((await rejected(m, await zipFixturePlugin('hello-bbws'))).map((v) => v.rule)).toEqual(['blocklisted']);
    writeFileSync(join(dir, 'blocklist.json'), '[]');
    writeFileSync(join(dir, 'vulnerabilities.json'), JSON.stringify({ vulnerabilities: [{ id: 'CVE-2099-0001', slug: 'hello-bbws', affected: ['<1.0.1'], fixedIn: '1.0.1', severity: 'high' }] }));
    const v = await rejected(m, await zipFixturePlugin('hello-bbws'));
    expect(v).toEqual([{ rule: 'known-vulnerable', message: expect.stringMatching(/CVE-2099-0001 \(high\); fixed in 1\.0\.1/) }]);
    expect(packagesOnDisk()).toEqual([]);
  });

  it('the shipped defaults apply (default blocklist, default feed)', async () => {
    const fm = await zipFixturePlugin('hello-bbws', { topName: 'wp-file-manager', overrides: { 'hello-bbws.php': HELLO.replace('Hello BBWS', 'File Manager') } });
    expect((await rejected(m, fm)).map((v) => v.rule).sort()).toEqual(['blocklisted', 'known-vulnerable']);
  });

  it('a broken policy file stops vetting (fail closed) with a message naming the file', async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'blocklist.json'), '{ not json');
    await expect(m.publish(await zipFixturePlugin('hello-bbws'))).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('blocklist.json') });
    expect(packagesOnDisk()).toEqual([]);
  });

  describe('hostile archives', () => {
    const hello = (name: string, extra: Partial<Parameters<typeof writeRawZip>[0][0]> = {}) => [{ name: 'hello-bbws/hello-bbws.php', data: HELLO }, { name, data: '<?php echo 1;', ...extra }];
    const cases: Array<[string, Parameters<typeof writeRawZip>[0], RegExp]> = [
      ['zip-slip ..', hello('hello-bbws/../../evil.php'), /relative path|\.\./],
      ['absolute path', hello('/etc/cron.d/evil'), /absolute/],
      ['backslash', hello('hello-bbws\\..\\evil.php'), /backslash|invalid characters/],
      ['symlink', hello('hello-bbws/link', { data: '/etc/passwd', unixMode: 0o120777 }), /symbolic link/],
      ['device file', hello('hello-bbws/dev', { unixMode: 0o020644 }), /special files/],
      ['encrypted entry', hello('hello-bbws/secret.php', { flags: 1 }), /encrypted/],
      ['control character', hello('hello-bbws/a\u0001.php'), /control character/],
      ['two top-level directories', hello('other/x.php'), /2 top-level directories/],
      ['file at the root', hello('x.php'), /one top-level directory/],
      ['duplicate path (case)', hello('hello-bbws/HELLO-BBWS.php'), /same path twice/],
      ['size lie (declares less than it inflates)', hello('hello-bbws/big.txt', { data: 'a'.repeat(100_000), declaredSize: 10 }), /inflate/],
    ];
    for (const [what, entries, message] of cases) {
      it(`refuses ${what} and writes nothing`, async () => {
        const v = await rejected(m, writeRawZip(entries));
        expect(v[0].rule).toBe('bad-archive');
        expect(v[0].message).toMatch(message);
        expect(packagesOnDisk()).toEqual([]);
        expect(existsSync(join(dataDir, 'evil.php')) || existsSync(join(tmpdir(), 'evil.php'))).toBe(false);
      });
    }
    it('refuses a zip bomb (total size and ratio) before inflating it', async () => {
      const zeros = Buffer.alloc(51 * 1024 * 1024);
      expect((await rejected(m, writeRawZip([{ name: 'hello-bbws/hello-bbws.php', data: HELLO }, { name: 'hello-bbws/bomb.txt', data: zeros }])))[0].message).toMatch(/more than 52428800 bytes/);
      const ratio = Buffer.alloc(5 * 1024 * 1024);
      expect((await rejected(m, writeRawZip([{ name: 'hello-bbws/hello-bbws.php', data: HELLO }, { name: 'hello-bbws/r.txt', data: ratio }])))[0].message).toMatch(/ratio/);
    });
    it('refuses more than 5,000 entries, and what is not a zip at all', async () => {
      const many = Array.from({ length: 5001 }, (_, i) => ({ name: `hello-bbws/f${i}.txt`, data: 'x', method: 0 as const }));
      expect((await rejected(m, writeRawZip(many)))[0].message).toMatch(/5001 entries/);
      const notZip = join(dataDir, 'x.zip');
      writeFileSync(notZip, '<?php system($_GET[1]);');
      expect((await rejected(m, notZip))[0].message).toMatch(/not a readable zip/);
      await expect(m.publish(join(dataDir, 'missing.zip'))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });
    it('ignores __MACOSX resource forks', async () => {
      const zip = writeRawZip([{ name: 'hello-bbws/hello-bbws.php', data: HELLO }, { name: '__MACOSX/hello-bbws/._hello-bbws.php', data: 'junk' }]);
      expect((await m.publish(zip)).slug).toBe('hello-bbws');
      expect(readdirSync(join(dir, 'packages/hello-bbws/1.0.0/hello-bbws'))).toEqual(['hello-bbws.php']);
    });
  });

  describe('prepareInstall vets again', () => {
    beforeEach(async () => {
      await m.publish(await zipFixturePlugin('hello-bbws'));
    });
    const pluginDir = () => join(dir, 'packages/hello-bbws/1.0.0/hello-bbws');

    it('hands out the verified files, with paths inside the package and the stored bytes', async () => {
      const r = await m.prepareInstall('hello-bbws');
      expect(r).toMatchObject({ ok: true, pkg: { slug: 'hello-bbws', version: '1.0.0' } });
      expect(r.ok && r.files.map((f) => f.path).sort()).toEqual(['hello-bbws.php', 'readme.txt']);
      expect(r.ok && Buffer.from(r.files.find((f) => f.path === 'hello-bbws.php')!.content).equals(readFileSync(join(pluginDir(), 'hello-bbws.php')))).toBe(true);
      expect(await m.prepareInstall('hello-bbws', '1.0.0')).toMatchObject({ ok: true });
    });
    it('answers not found (no pkg, no violations) for unknown or invalid slugs and versions', async () => {
      for (const [slug, version] of [['nope', undefined], ['hello-bbws', '9.9'], ['../x', undefined], ['hello-bbws', '..']] as const) {
        expect(await m.prepareInstall(slug, version)).toEqual({ ok: false, violations: [] });
      }
    });
    it('detects a file changed, added or removed after publish (checksum)', async () => {
      const main = join(pluginDir(), 'hello-bbws.php');
      chmodSync(main, 0o644);
      writeFileSync(main, `${HELLO}\n// harmless-looking edit\n`);
      writeFileSync(join(pluginDir(), 'extra.php'), '<?php echo 1;');
      rmSync(join(pluginDir(), 'readme.txt'), { force: true });
      const r = await m.prepareInstall('hello-bbws');
      expect(r.ok).toBe(false);
      expect(!r.ok && r.violations.map((v) => `${v.rule} ${v.file}`).sort()).toEqual(['checksum-mismatch extra.php', 'checksum-mismatch hello-bbws.php', 'checksum-mismatch readme.txt']);
    });
    it('detects code injected after publish (checksum and scan)', async () => {
      const main = join(pluginDir(), 'hello-bbws.php');
      chmodSync(main, 0o644);
      writeFileSync(main, `${HELLO}\neval($_POST['x']);\n`);
      const r = await m.prepareInstall('hello-bbws');
      expect(!r.ok && r.violations.map((v) => v.rule)).toEqual(['checksum-mismatch', 'request-input']);
    });
    it('refuses a package blocklisted after publish, hides it from list, and exports it for the guard', async () => {
      writeFileSync(join(dir, 'blocklist.json'), JSON.stringify({ entries: [{ slug: 'hello-bbws', versions: ['<2'], reason: 'pulled by security team' }] }));
      const r = await m.prepareInstall('hello-bbws');
      expect(r).toMatchObject({ ok: false, pkg: { slug: 'hello-bbws' }, violations: [{ rule: 'blocklisted', message: expect.stringMatching(/pulled by security team/) }] });
      expect(await m.list()).toEqual([]);
      expect((await m.get('hello-bbws'))?.vetting.approved).toBe(false);
      const entries = await m.blocklist();
      expect(entries).toContainEqual({ slug: 'hello-bbws', versions: ['1.0.0'], reason: 'pulled by security team' });
      expect(entries).toContainEqual(expect.objectContaining({ slug: 'wp-file-manager', versions: '*' }));
    });
  });
});

describe('bbws plugins (CLI, local data dir)', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'bbws-plugins-cli-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Runs `bbws plugins …`: through the real CLI once the command is registered, else a minimal program around registerPluginCommands. */
  const bbws = async (...args: string[]) => {
    const { buildProgram } = await import('../../src/cli/program.js');
    const registered = (await buildProgram()).commands.some((c) => c.name() === 'plugins');
    const argv = registered
      ? ['--import', 'tsx', join(__dirname, '../support/cli-entry.ts'), ...args]
      : ['--import', 'tsx', '--input-type=module', '-e', `import { Command } from 'commander'; import { registerPluginCommands } from ${JSON.stringify(join(__dirname, '../../src/cli/commands/plugins.command.ts'))}; const p = new Command('bbws'); registerPluginCommands(p); await p.parseAsync(process.argv.slice(0, 1).concat(['x'], process.argv.slice(1)));`, ...args];
    try {
      const { stdout, stderr } = await exec(process.execPath, argv, { cwd: join(__dirname, '../..'), env: { ...process.env, BBWS_DATA_DIR: '' } });
      return { code: 0, stdout, stderr };
    } catch (err: any) {
      return { code: err.code as number, stdout: err.stdout as string, stderr: err.stderr as string };
    }
  };

  it('publish prints approved slug@version and exits 0; list shows it', async () => {
    const r = await bbws('plugins', 'publish', await zipFixturePlugin('hello-bbws'), '--data-dir', dataDir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^approved hello-bbws@1\.0\.0 \(sha256 [0-9a-f]{64}\)\n$/);
    const list = await bbws('plugins', 'list', '--data-dir', dataDir);
    expect(list.stdout).toMatch(/^SLUG\s+VERSION\s+NAME/);
    expect(list.stdout).toMatch(/hello-bbws\s+1\.0\.0\s+Hello BBWS/);
    expect(JSON.parse((await bbws('plugins', 'list', '--json', '--data-dir', dataDir)).stdout).plugins[0].vetting.approved).toBe(true);
  });

  it('publish of a malicious zip exits 1 with the violations table and stores nothing', async () => {
    const r = await bbws('plugins', 'publish', await zipFixturePlugin('evil-widget'), '--data-dir', dataDir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rejected: evil-widget@0\.9\.1 failed security vetting/);
    expect(r.stdout).toMatch(/^RULE\s+WHERE\s+MESSAGE/);
    expect(r.stdout).toMatch(/eval-decoded\s+evil-widget\.php:15\s+eval\(\) runs data decoded at run time \(base64_decode\(\)\) from request input/);
    expect(r.stdout).toMatch(/remote-include\s+includes\/loader\.php:4/);
    expect(existsSync(join(dataDir, 'plugins/packages/evil-widget'))).toBe(false);
    const json = await bbws('plugins', 'publish', await zipFixturePlugin('evil-widget'), '--json', '--data-dir', dataDir);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ approved: false, slug: 'evil-widget', violations: expect.arrayContaining([expect.objectContaining({ rule: 'shell-exec', line: 21 })]) });
    expect((await bbws('plugins', 'list', '--data-dir', dataDir)).stdout).toBe('(none)\n');
  });
});
