/**
 * `bbws setup` and the prerequisite check of `bbws up`: what the local runtime needs from
 * Debian/Ubuntu packages, and how to install it without the distro starting its own services
 * (bbws runs its own MariaDB, php-fpm and nginx as children; a distro nginx or MariaDB started by
 * the package would only hold ports 80/3306 and is never used by bbws).
 */
import { access, readdir, writeFile, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import { run, canRun, ExecError } from './exec.js';

export interface MissingPrerequisite {
  /** What is missing: a binary, a PHP extension or a file. */
  what: string;
  /** The Debian package that provides it. */
  package: string;
}

/** Finds `php-fpm<version>` (Debian names the binary after the PHP version), newest first. */
export async function findPhpFpmBinary(): Promise<string | undefined> {
  const candidates: string[] = [];
  for (const dir of ['/usr/sbin', '/usr/local/sbin']) {
    const entries = await readdir(dir).catch(() => [] as string[]);
    candidates.push(...entries.filter((e) => /^php-fpm(\d+\.\d+)?$/.test(e)).map((e) => `${dir}/${e}`));
  }
  candidates.sort().reverse();
  return candidates[0];
}

const exists = (p: string) => access(p, constants.R_OK).then(() => true, () => false);

/** PHP extensions WordPress needs (mysqli for the database, the rest for media, updates, i18n). */
export const PHP_EXTENSIONS: ReadonlyArray<{ module: string; package: string }> = [
  { module: 'mysqli', package: 'php-mysql' },
  { module: 'gd', package: 'php-gd' },
  { module: 'curl', package: 'php-curl' },
  { module: 'dom', package: 'php-xml' },
  { module: 'mbstring', package: 'php-mbstring' },
  { module: 'zip', package: 'php-zip' },
  { module: 'intl', package: 'php-intl' },
];

/** Everything the local runtime needs that is not on this machine (empty: ready). */
export async function checkPrerequisites(): Promise<MissingPrerequisite[]> {
  const missing: MissingPrerequisite[] = [];
  const binary = async (cmd: string, pkg: string, args: string[] = ['--version']) => {
    if (!(await canRun(cmd, args))) missing.push({ what: cmd, package: pkg });
  };
  await binary('mariadbd', 'mariadb-server');
  await binary('mariadb-install-db', 'mariadb-server', ['--help']);
  await binary('mariadb', 'mariadb-client');
  await binary('mariadb-dump', 'mariadb-client');
  // Backups (docs/backups.md): an encrypted, deduplicating restic repository.
  await binary('restic', 'restic', ['version']);
  await binary('nginx', 'nginx', ['-v']);
  await binary('php', 'php-cli', ['-v']);
  await binary('getent', 'libc-bin', ['passwd', 'root']);
  if (!(await findPhpFpmBinary())) missing.push({ what: 'php-fpm', package: 'php-fpm' });
  if (!(await exists('/etc/nginx/mime.types'))) missing.push({ what: '/etc/nginx/mime.types', package: 'nginx' });
  // Without PHP (a fresh machine) no module can be listed: every extension package is missing too.
  // Skipping them then made the first `bbws setup` install PHP without curl, xml, mbstring, zip, intl.
  const modules = await run('php', ['-m']).then((r) => r.stdout.toLowerCase().split('\n').map((l) => l.trim()), () => [] as string[]);
  missing.push(...missingExtensions(modules));
  if (!(await exists('/usr/share/wordpress/wp-settings.php'))) missing.push({ what: '/usr/share/wordpress', package: 'wordpress' });
  // The wordpress package ships no theme; WordPress 6.1 needs its default theme to render.
  // The built-in site templates use Debian's three block themes (docs/templates.md).
  for (const theme of ['twentytwentythree', 'twentytwentytwo', 'twentytwentyone'])
    if (!(await exists(`/usr/share/wordpress/wp-content/themes/${theme}/style.css`)))
      missing.push({ what: `theme ${theme}`, package: `wordpress-theme-${theme}` });
  return missing;
}

/** The PHP extensions WordPress needs that `php -m` did not list (all of them when PHP is absent). */
export function missingExtensions(modules: readonly string[]): MissingPrerequisite[] {
  return PHP_EXTENSIONS.filter((ext) => !modules.includes(ext.module)).map((ext) => ({ what: `PHP extension ${ext.module}`, package: ext.package }));
}

/** Packages to install for `missing`, de-duplicated, in a stable order. */
export function packagesFor(missing: MissingPrerequisite[]): string[] {
  return [...new Set(missing.map((m) => m.package))].sort();
}

/** The policy-rc.d that makes invoke-rc.d / deb-systemd-invoke refuse to start services (exit 101). */
const POLICY_RC_D = '/usr/sbin/policy-rc.d';
const POLICY_RC_D_TEXT = '#!/bin/sh\n# Written by bbws setup while installing packages: do not start services.\nexit 101\n';

/**
 * The exact commands a root user runs (printed for non-root users). --no-install-recommends keeps
 * apache2 out (the wordpress package recommends it; apache2-bin may still come as a dependency
 * and stays unused). policy-rc.d + RUNLEVEL=1 stop the packages from starting their services.
 */
export function installCommands(packages: string[]): string[] {
  if (packages.length === 0) return [];
  return [
    `printf '#!/bin/sh\\nexit 101\\n' | sudo tee ${POLICY_RC_D} >/dev/null && sudo chmod 755 ${POLICY_RC_D}`,
    'sudo apt-get update',
    `sudo env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y --no-install-recommends ${packages.join(' ')}`,
    `sudo rm -f ${POLICY_RC_D}`,
  ];
}

export interface InstallResult {
  /** Packages that were (or, in a dry run / as non-root, would be) installed. */
  packages: string[];
  /** What ran, or what a root user must run. */
  commands: string[];
  installed: boolean;
  /** Set when not root: print this and exit non-zero. */
  needsRoot: boolean;
}

/** Installs what is missing. Idempotent: nothing missing, nothing done. */
export async function installPrerequisites(options: { dryRun?: boolean; log?: (line: string) => void } = {}): Promise<InstallResult> {
  const log = options.log ?? (() => undefined);
  const packages = packagesFor(await checkPrerequisites());
  const commands = installCommands(packages);
  if (packages.length === 0) {
    log('All prerequisites are installed.');
    return { packages, commands, installed: false, needsRoot: false };
  }
  const isRoot = process.getuid?.() === 0;
  if (options.dryRun || !isRoot) {
    log(`${isRoot ? 'Would run' : 'Run as root'}:\n${commands.join('\n')}`);
    return { packages, commands, installed: false, needsRoot: !isRoot };
  }
  const hadPolicy = await exists(POLICY_RC_D);
  if (!hadPolicy) await writeFile(POLICY_RC_D, POLICY_RC_D_TEXT, { mode: 0o755 });
  const env = { DEBIAN_FRONTEND: 'noninteractive', RUNLEVEL: '1' };
  try {
    log('apt-get update');
    await run('apt-get', ['update'], { env, timeoutMs: 600_000 });
    log(`apt-get install ${packages.join(' ')}`);
    await run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env, timeoutMs: 1_800_000 });
  } catch (e) {
    if (e instanceof ExecError) log(e.stderr);
    throw e;
  } finally {
    if (!hadPolicy) await rm(POLICY_RC_D, { force: true });
  }
  return { packages, commands, installed: true, needsRoot: false };
}
