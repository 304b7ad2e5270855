/**
 * The AlarmStore port on the platform's SQLite file (migrations namespace `alarms`).
 */
import type { AlarmSettings, AlarmState } from '../../domain/alarms.js';
import type { Sample } from '../../domain/alarm-metrics.js';
import type { AlarmStatus, AlarmStore, AlarmTick, AlarmTransition } from '../../ports/alarms.js';
import { applyMigrations, type Migration, type SqliteDatabase } from '../sqlite/database.js';

const MIGRATIONS: readonly Migration[] = [
  {
    id: '001-alarm-tables',
    sql: `
      CREATE TABLE alarm_settings (name TEXT PRIMARY KEY, settings TEXT NOT NULL, muted_until TEXT);
      CREATE TABLE alarm_status (
        name TEXT PRIMARY KEY, state TEXT NOT NULL, reason TEXT NOT NULL, value REAL,
        since TEXT NOT NULL, evaluated_at TEXT NOT NULL
      );
      CREATE TABLE alarm_history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, at TEXT NOT NULL,
        from_state TEXT NOT NULL, to_state TEXT NOT NULL, reason TEXT NOT NULL, value REAL, muted INTEGER NOT NULL,
        announced INTEGER NOT NULL      -- 1 once published to the webhooks (or muted: never)
      );
      CREATE INDEX alarm_history_unannounced ON alarm_history (announced, seq);
      CREATE INDEX alarm_history_by_name ON alarm_history (name, seq);
      CREATE TABLE alarm_samples (alarm TEXT NOT NULL, at INTEGER NOT NULL, sample TEXT NOT NULL, PRIMARY KEY (alarm, at));
      CREATE INDEX alarm_samples_by_time ON alarm_samples (at);
    `,
  },
];

interface HistoryRow {
  name: string;
  at: string;
  from_state: AlarmState;
  to_state: AlarmState;
  reason: string;
  value: number | null;
  muted: number;
  seq: number;
}

const toTransition = (r: HistoryRow): AlarmTransition => ({ name: r.name, at: r.at, from: r.from_state, to: r.to_state, reason: r.reason, value: r.value, muted: r.muted === 1 });

export function createSqliteAlarmStore(db: SqliteDatabase): AlarmStore {
  applyMigrations(db, 'alarms', MIGRATIONS);
  const stmt = {
    settings: db.prepare<[], { name: string; settings: string }>('SELECT name, settings FROM alarm_settings'),
    saveSettings: db.prepare<[string, string]>(
      `INSERT INTO alarm_settings (name, settings) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET settings = excluded.settings`,
    ),
    mute: db.prepare<[{ name: string; until: string | null }]>(
      `INSERT INTO alarm_settings (name, settings, muted_until) VALUES (@name, '{}', @until) ON CONFLICT (name) DO UPDATE SET muted_until = excluded.muted_until`,
    ),
    mutes: db.prepare<[], { name: string; muted_until: string }>('SELECT name, muted_until FROM alarm_settings WHERE muted_until IS NOT NULL'),
    statuses: db.prepare<[], { name: string; state: AlarmState; reason: string; value: number | null; since: string; evaluated_at: string }>('SELECT * FROM alarm_status ORDER BY name'),
    putStatus: db.prepare(
      `INSERT INTO alarm_status (name, state, reason, value, since, evaluated_at) VALUES (@name, @state, @reason, @value, @since, @evaluatedAt)
       ON CONFLICT (name) DO UPDATE SET state = excluded.state, reason = excluded.reason, value = excluded.value, since = excluded.since, evaluated_at = excluded.evaluated_at`,
    ),
    addHistory: db.prepare(`INSERT INTO alarm_history (name, at, from_state, to_state, reason, value, muted, announced) VALUES (@name, @at, @from, @to, @reason, @value, @muted, @muted)`),
    unannounced: db.prepare<[number], HistoryRow>('SELECT * FROM alarm_history WHERE announced = 0 ORDER BY seq LIMIT ?'),
    markAnnounced: db.prepare<[number]>('UPDATE alarm_history SET announced = 1 WHERE seq = ?'),
    addSample: db.prepare<[string, number, string]>('INSERT OR REPLACE INTO alarm_samples (alarm, at, sample) VALUES (?, ?, ?)'),
    samplesSince: db.prepare<[number], { alarm: string; at: number; sample: string }>('SELECT alarm, at, sample FROM alarm_samples WHERE at >= ? ORDER BY at'),
    history: db.prepare<[number], HistoryRow>('SELECT * FROM alarm_history ORDER BY seq DESC LIMIT ?'),
    historyOf: db.prepare<[string, number], HistoryRow>('SELECT * FROM alarm_history WHERE name = ? ORDER BY seq DESC LIMIT ?'),
    prune: db.prepare<[number]>('DELETE FROM alarm_samples WHERE at < ?'),
  };
  const tick = db.transaction((t: AlarmTick) => {
    for (const s of t.samples) stmt.addSample.run(s.alarm, t.at, JSON.stringify(s.sample));
    for (const s of t.statuses) stmt.putStatus.run(s);
    for (const tr of t.transitions) stmt.addHistory.run({ ...tr, muted: tr.muted ? 1 : 0 });
  });
  return {
    settings: async () => Object.fromEntries(stmt.settings.all().map((r) => [r.name, JSON.parse(r.settings) as AlarmSettings])),
    saveSettings: async (name, settings) => void stmt.saveSettings.run(name, JSON.stringify(settings)),
    statuses: async (): Promise<AlarmStatus[]> => stmt.statuses.all().map((r) => ({ name: r.name, state: r.state, reason: r.reason, value: r.value, since: r.since, evaluatedAt: r.evaluated_at })),
    mute: async (name, until) => void stmt.mute.run({ name, until }),
    mutes: async () => Object.fromEntries(stmt.mutes.all().map((r) => [r.name, r.muted_until])),
    recordTick: async (t) => tick.immediate(t),
    samplesSince: async (sinceMs) => stmt.samplesSince.all(sinceMs).map((r) => ({ alarm: r.alarm, at: r.at, sample: JSON.parse(r.sample) as Sample })),
    history: async ({ alarm, limit }) => (alarm ? stmt.historyOf.all(alarm, limit) : stmt.history.all(limit)).map(toTransition),
    pruneSamples: async (beforeMs) => stmt.prune.run(beforeMs).changes,
    unannounced: async (limit) => stmt.unannounced.all(limit).map((r) => ({ ...toTransition(r), seq: r.seq })),
    markAnnounced: async (seq) => void stmt.markAnnounced.run(seq),
  };
}
