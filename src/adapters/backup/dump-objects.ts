/**
 * The parts of a mariadb-dump file that are not tables: triggers (in each table's section, after
 * its rows, between `DELIMITER ;;` and `DELIMITER ;`), views (placeholder sections, then final
 * ones) and stored routines (one section). A restore moves tables with one RENAME TABLE, which
 * MariaDB refuses for views ("Changing schema … is not allowed") and for tables with triggers
 * ("Trigger in wrong schema"), so these are created anew in the target instead, from the dump:
 * by the target tenant's own database user, their DEFINER clause made CURRENT_USER. A copy thus
 * runs its triggers, views and routines with the privileges of the tenant it now belongs to,
 * never with the original tenant's (a restore to a new tenant) or root's; a definer clause this
 * file failed to rewrite is refused by the server (naming another user needs SUPER), not obeyed.
 *
 * mariadb-dump's layout is fixed by its own code (one version per host, with the options of
 * sql-dump.ts); the classification reads only its section comments, `DELIMITER` lines and the
 * `/*!50003` prefix of trigger settings. Bytes, not strings: rows pass through untouched.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';

export type DumpPart = 'header' | 'table' | 'object';

const prefix = (s: string) => Buffer.from(s, 'latin1');
const TABLE_SECTIONS = ['-- Table structure for table `', '-- Dumping data for table `'].map(prefix);
const OBJECT_SECTIONS = ['-- Temporary table structure for view `', '-- Final view structure for view `', '-- Dumping routines for database ', '-- Dumping events for database '].map(prefix);
const ROUTINES_SECTION = prefix('-- Dumping routines for database ');
const TRIGGER_SETTING = prefix('/*!50003 ');
const DELIMITER_ON = prefix('DELIMITER ;;');
const DELIMITER_OFF = prefix('DELIMITER ;');
const VIEW_CREATE = prefix('/*!50001 CREATE ');
const starts = (line: Buffer, p: Buffer) => line.length >= p.length && line.subarray(0, p.length).equals(p);

/**
 * A line-by-line classifier of a dump: `header` (session settings before the first section: both
 * parts need them), `table` (CREATE TABLE, rows) or `object`. `sawRoutines` tells whether the dump
 * has a routines section at all (dumps made before routines were included have none).
 */
export function dumpClassifier() {
  let section: DumpPart = 'header';
  let delimited = false;
  let sawRoutines = false;
  return {
    get sawRoutines() {
      return sawRoutines;
    },
    part(line: Buffer): DumpPart {
      if (delimited) {
        if (line.equals(DELIMITER_OFF)) delimited = false;
        return 'object';
      }
      if (line.equals(DELIMITER_ON)) {
        delimited = true;
        return 'object';
      }
      if (TABLE_SECTIONS.some((p) => starts(line, p))) section = 'table';
      else if (OBJECT_SECTIONS.some((p) => starts(line, p))) {
        section = 'object';
        if (starts(line, ROUTINES_SECTION)) sawRoutines = true;
      }
      // In a table's section, `/*!50003 SET …` lines are the settings of its triggers (tables use /*!40…).
      if (section === 'table' && starts(line, TRIGGER_SETTING)) return 'object';
      return section;
    },
  };
}

const DEFINER_HEADS = ['/*!50013 DEFINER=', '/*!50003 CREATE*/ /*!50017 DEFINER=', 'CREATE DEFINER=', '/*!50106 CREATE*/ /*!50117 DEFINER='].map(prefix);
const ACCOUNT = /DEFINER=`(?:[^`]|``)*`(?:@`(?:[^`]|``)*`)?/;

/** An object's header line with its `DEFINER=…` made `DEFINER=CURRENT_USER`; any other line as it is. */
export function withCurrentUserDefiner(line: Buffer): Buffer {
  if (!DEFINER_HEADS.some((p) => starts(line, p))) return line;
  return Buffer.from(line.toString('latin1').replace(ACCOUNT, 'DEFINER=CURRENT_USER'), 'latin1');
}

/** Calls `onLine` for every line of `file` (without its newline), as bytes. */
export async function forEachDumpLine(file: string, onLine: (line: Buffer) => void): Promise<void> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    let buf = rest.length ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
    for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a)) {
      onLine(buf.subarray(0, nl));
      buf = buf.subarray(nl + 1);
    }
    rest = Buffer.from(buf);
  }
  if (rest.length) onLine(rest);
}

/**
 * Writes the dump's header and object statements (definers made CURRENT_USER) to `out`: the
 * script that recreates the triggers, views and routines once the tables are in place. Returns
 * whether there were any, and whether the dump had a routines section.
 */
export async function extractObjects(dump: string, out: string): Promise<{ objects: boolean; routines: boolean }> {
  const classify = dumpClassifier();
  const file = createWriteStream(out, { mode: 0o600 });
  let objects = false;
  let failed: Error | null = null;
  file.on('error', (e) => (failed = e));
  await forEachDumpLine(dump, (line) => {
    const part = classify.part(line);
    if (part === 'table') return;
    if (part === 'object' && (line.equals(DELIMITER_ON) || starts(line, VIEW_CREATE))) objects = true;
    file.write(Buffer.concat([part === 'object' ? withCurrentUserDefiner(line) : line, Buffer.from('\n')]));
  });
  file.end();
  await once(file, 'close');
  if (failed) throw failed;
  return { objects, routines: classify.sawRoutines };
}

/** A dump's triggers, views and routines: how many, and one SHA-256 of their definitions. */
export interface ObjectsSummary {
  count: number;
  sha256: string;
}

const OBJECT_HEADS = ['/*!50003 CREATE*/', '/*!50001 VIEW ', 'CREATE DEFINER='].map(prefix);
const VIEW_LINES = ['/*!50001 CREATE ALGORITHM', '/*!50013 ', '/*!50001 VIEW '].map(prefix);

/**
 * The definitions of a dump's triggers and routines (their DELIMITER blocks) and final views,
 * definers made CURRENT_USER (the scratch copy is loaded as root), in dump order: what verify
 * compares between the backup and its restored copy, beside the tables' rows.
 */
export async function summarizeObjects(dump: string): Promise<ObjectsSummary> {
  const hash = createHash('sha256');
  let count = 0;
  let delimited = false;
  await forEachDumpLine(dump, (line) => {
    if (line.equals(DELIMITER_ON) || line.equals(DELIMITER_OFF)) return void (delimited = line.equals(DELIMITER_ON));
    if (!delimited && !VIEW_LINES.some((p) => starts(line, p))) return;
    const normal = withCurrentUserDefiner(line);
    if (OBJECT_HEADS.some((p) => starts(normal, p))) count++;
    hash.update(normal).update('\n');
  });
  return { count, sha256: hash.digest('hex') };
}

/** What differs between the objects a backup recorded and those its restored copy holds ([] when equal or not recorded). */
export function compareObjects(expected: ObjectsSummary | null | undefined, actual: ObjectsSummary): string[] {
  if (!expected) return [];
  if (expected.count !== actual.count) return [`triggers, views and routines: ${actual.count} restored, ${expected.count} backed up`];
  return expected.sha256 === actual.sha256 ? [] : ['triggers, views and routines: definitions differ'];
}
