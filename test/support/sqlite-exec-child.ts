/**
 * Child process for the cross-process cache tests (called through sqlite-exec.ts): runs one SQL script on a SQLite file through
 * `openSqliteDatabase` (as another bbws process would), prints DONE once it has committed, exits.
 *
 *   node --import tsx sqlite-exec-child.ts <db-file> <sql>
 */
import { openSqliteDatabase } from '../../src/adapters/sqlite/database.js';

const [file, sql] = process.argv.slice(2);
const db = openSqliteDatabase(file);
db.exec(sql);
db.close();
process.stdout.write('DONE\n');
