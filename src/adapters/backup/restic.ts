/**
 * The backup repository: restic (Debian package `restic`), driven through its CLI with `--json`.
 * restic gives what we must not write ourselves: an encrypted (AES-256 + Poly1305), content-
 * addressed, deduplicating repository on a local directory, SFTP or S3-compatible storage, with
 * snapshots, tags, retention (`forget --keep-*`) and an integrity check that reads every pack.
 *
 * The repository password comes from the secret store and reaches restic only in its environment
 * (`RESTIC_PASSWORD`: never argv, never a file, never a log line). Credentials of remote targets
 * (AWS_ACCESS_KEY_ID, RESTIC_SFTP_…) are passed through from bbws's own environment.
 */
import { createInterface } from 'node:readline';
import type { RetentionPolicy } from '../../domain/backup.js';
import { ExecError } from '../runtime/local/exec.js';
import { resticExactPattern, resticPath, resticSnapshotId, resticTag } from './restic-args.js';
import { spawnTied } from './tied-spawn.js';

export interface ResticSnapshot {
  id: string;
  shortId: string;
  time: string;
  tags: string[];
  paths: string[];
}

export interface ResticSummary {
  snapshotId: string;
  filesNew: number;
  filesChanged: number;
  dataAdded: number;
  totalBytes: number;
}

export interface ResticRepository {
  readonly location: string;
  /** Creates the repository when there is none; a second call is a no-op. */
  init(): Promise<void>;
  /** One snapshot of `paths`; `onProgress` gets 0…1 while restic reads. */
  /**
   * One snapshot of `paths`. `parent`: the snapshot an incremental compares file metadata with
   * (unchanged files are not read again); `force`: read every file (a full backup).
   */
  backup(paths: string[], options: { tags: string[]; time?: string; parent?: string; force?: boolean; onProgress?: (fraction: number) => void }): Promise<ResticSummary>;
  /** Removes locks left by a killed restic (restic keeps the ones of live processes). */
  unlock(): Promise<void>;
  snapshots(tags?: string[]): Promise<ResticSnapshot[]>;
  /** Restores the snapshot's files under `target` (at their original absolute paths below it). */
  restore(snapshotId: string, target: string, include?: string[]): Promise<void>;
  /** Applies the retention policy per group of identical tags; returns the ids removed (or that would be). */
  forget(policy: RetentionPolicy, options: { tags?: string[]; dryRun: boolean }): Promise<string[]>;
  forgetSnapshots(ids: string[]): Promise<void>;
  /** Reads and checks every pack (`check --read-data`); throws with restic's findings. */
  check(): Promise<void>;
}

export interface ResticOptions {
  /** A restic repository string: a directory, `sftp:…`, `s3:…`, `rest:…`. */
  location: string;
  password: () => Promise<string>;
  /** Extra environment (credentials of remote backends); bbws's own env is not inherited. */
  env?: Record<string, string>;
}

/** Environment variables of remote backends that restic reads, passed through when set. */
const BACKEND_ENV = /^(AWS_|RESTIC_|B2_|AZURE_|GOOGLE_|OS_|ST_|RCLONE_)/;
const BASE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', HOME: '/root' };

export class ResticError extends ExecError {}

export function createResticRepository(options: ResticOptions): ResticRepository {
  const passThrough = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => BACKEND_ENV.test(k) && k !== 'RESTIC_PASSWORD' && v !== undefined)) as Record<string, string>;

  const restic = async (args: string[], onLine?: (line: string) => void, timeoutMs = 3_600_000): Promise<string> => {
    const env = { ...BASE_ENV, ...passThrough, ...options.env, RESTIC_REPOSITORY: options.location, RESTIC_PASSWORD: await options.password() };
    return new Promise((resolve, reject) => {
      const child = spawnTied('restic', ['--no-cache', ...args], { env });
      child.stdin.end();
      const out: string[] = [];
      const err: Buffer[] = [];
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (onLine) onLine(line);
        else out.push(line);
      });
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => reject(new ResticError({ command: 'restic', args, stdout: '', stderr: String(e), exitCode: null, signal: null, cause: e })));
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve(out.join('\n'));
        else reject(new ResticError({ command: 'restic', args, stdout: out.join('\n'), stderr: Buffer.concat(err).toString(), exitCode: code, signal }));
      });
    });
  };

  const parseSnapshots = (text: string): ResticSnapshot[] =>
    ((JSON.parse(text || '[]') as Array<{ id: string; short_id: string; time: string; tags?: string[]; paths: string[] }> | null) ?? []).map((s) => ({
      id: s.id,
      shortId: s.short_id,
      time: s.time,
      tags: s.tags ?? [],
      paths: s.paths,
    }));

  const tagArgs = (tags: string[] = []) => tags.flatMap((t) => ['--tag', resticTag(t)]);
  /** `--tag a,b`: snapshots with all of them. */
  const tagFilter = (tags?: string[]) => (tags?.length ? ['--tag', tags.map(resticTag).join(',')] : []);

  return {
    location: options.location,
    async init() {
      try {
        await restic(['cat', 'config'], undefined, 60_000);
      } catch (e) {
        // "Is there a repository at the following location?" / "does not exist": make one.
        if (!(e instanceof ResticError) || !/repository|does not exist|no such file/i.test(e.stderr)) throw e;
        await restic(['init'], undefined, 120_000);
      }
    },
    async backup(paths, { tags, time, parent, force, onProgress }) {
      let summary: ResticSummary | null = null;
      const extra = [...(time ? ['--time', time] : []), ...(parent ? ['--parent', resticSnapshotId(parent)] : []), ...(force ? ['--force'] : [])];
      await restic(['backup', '--json', '--host', 'bbws', ...tagArgs(tags), ...extra, '--', ...paths.map(resticPath)], (line) => {
        let msg: { message_type?: string; percent_done?: number; snapshot_id?: string; files_new?: number; files_changed?: number; data_added?: number; total_bytes_processed?: number };
        try {
          msg = JSON.parse(line);
        } catch {
          return;
        }
        if (msg.message_type === 'status' && typeof msg.percent_done === 'number') onProgress?.(msg.percent_done);
        if (msg.message_type === 'summary' && msg.snapshot_id)
          summary = { snapshotId: msg.snapshot_id, filesNew: msg.files_new ?? 0, filesChanged: msg.files_changed ?? 0, dataAdded: msg.data_added ?? 0, totalBytes: msg.total_bytes_processed ?? 0 };
      });
      if (!summary) throw new Error('restic backup ended without a summary');
      return summary;
    },
    async unlock() {
      await restic(['unlock'], undefined, 60_000);
    },
    async snapshots(tags) {
      return parseSnapshots(await restic(['snapshots', '--json', ...tagFilter(tags)], undefined, 120_000));
    },
    async restore(snapshotId, target, include = []) {
      // Include paths are exact (restic reads them as patterns): a data dir's `[`, `*` or `?` match only themselves.
      await restic(['restore', resticSnapshotId(snapshotId), '--target', resticPath(target), ...include.flatMap((p) => ['--include', resticExactPattern(p)])]);
    },
    async forget(policy, { tags, dryRun }) {
      const flags = { last: '--keep-last', hourly: '--keep-hourly', daily: '--keep-daily', weekly: '--keep-weekly', monthly: '--keep-monthly' } as const;
      const keep = (Object.keys(flags) as Array<keyof typeof flags>).filter((k) => policy[k] > 0).flatMap((k) => [flags[k], String(policy[k])]);
      const text = await restic(['forget', '--json', '--group-by', 'tags', ...keep, ...(dryRun ? ['--dry-run'] : ['--prune']), ...tagFilter(tags)], undefined, 600_000);
      // With --prune, restic's prune report (text) follows the JSON line.
      const json = text.split('\n').find((l) => l.startsWith('[')) ?? '[]';
      const groups = (JSON.parse(json) as Array<{ remove: Array<{ id: string }> | null }> | null) ?? [];
      return groups.flatMap((g) => (g.remove ?? []).map((s) => s.id));
    },
    async forgetSnapshots(ids) {
      if (ids.length) await restic(['forget', '--prune', '--', ...ids.map(resticSnapshotId)]);
    },
    async check() {
      await restic(['check', '--read-data']);
    },
  };
}
