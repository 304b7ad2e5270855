import { describe, expect, it } from 'vitest';
import { assertBackupId, formatRetention, isDue, newBackupId, parseRetention, parseSchedule, scheduleOffsetMs } from '../../src/domain/backup.js';
import { ConfigError, parseConfig } from '../../src/main/config.js';

describe('backup retention, schedule and ids', () => {
  it('parses retention policies and refuses bad ones with BACKUP_RETENTION_INVALID', () => {
    expect(parseRetention('7d,4w,3m')).toEqual({ last: 0, hourly: 0, daily: 7, weekly: 4, monthly: 3 });
    expect(parseRetention('3m, 2d,10l,24h')).toEqual({ last: 10, hourly: 24, daily: 2, weekly: 0, monthly: 3 });
    expect(formatRetention(parseRetention('3m, 2d,10l'))).toBe('10l,2d,3m');
    for (const bad of ['', '7', '7x', '0d', '0l,0h', 'd7', '7d;rm -rf /', '7d,,'.repeat(1) + 'x'])
      expect(() => parseRetention(bad), bad).toThrow(expect.objectContaining({ code: 'BACKUP_RETENTION_INVALID' }));
  });

  it('parses schedules (off, partial overrides) and refuses bad ones', () => {
    expect(parseSchedule('off')).toEqual({ fullEveryMinutes: 0, incrementalEveryMinutes: 0, verifyEveryMinutes: 0 });
    expect(parseSchedule('incremental=15m')).toEqual({ fullEveryMinutes: 1440, incrementalEveryMinutes: 15, verifyEveryMinutes: 1440 });
    for (const bad of ['hourly', 'full=1d', 'full=', 'weekly=1h']) expect(() => parseSchedule(bad), bad).toThrow(expect.objectContaining({ code: 'BACKUP_SCHEDULE_INVALID' }));
  });

  it('config names the setting of a bad policy, schedule or repository', () => {
    expect(() => parseConfig({}, { BBWS_BACKUP_RETENTION: 'forever' })).toThrow(/BBWS_BACKUP_RETENTION/);
    expect(() => parseConfig({}, { BBWS_BACKUP_SCHEDULE: 'hourly' })).toThrow(ConfigError);
    expect(parseConfig({}, { BBWS_BACKUP_REPOSITORY: 's3:https://minio.example/bucket' }).backup?.repository).toBe('s3:https://minio.example/bucket');
    expect(parseConfig({}, { BBWS_BACKUP_REPOSITORY: 'rel/dir' }).backup?.repository).toMatch(/^\/.*\/rel\/dir$/);
  });

  it('spreads tenants over the period and is due once per slot', () => {
    const hour = 60;
    const offsets = new Set(['acme', 'beta', 'gamma', 'delta', 'omega'].map((t) => scheduleOffsetMs(t, hour)));
    expect(offsets.size).toBe(5);
    for (const o of offsets) expect(o).toBeLessThan(3_600_000);
    const slotStart = Date.UTC(2026, 11, 3, 10) + scheduleOffsetMs('acme', hour);
    expect(isDue('acme', hour, slotStart - 1, slotStart + 1)).toBe(true);
    expect(isDue('acme', hour, slotStart + 1, slotStart + 2)).toBe(false);
    expect(isDue('acme', hour, slotStart + 1, slotStart + 3_600_000)).toBe(true);
    expect(isDue('acme', 0, null, slotStart)).toBe(false);
  });

  it('backup ids: generated ones are valid, anything else is BACKUP_NOT_FOUND', () => {
    const id = newBackupId();
    expect(assertBackupId(id)).toBe(id);
    for (const bad of ['../etc', 'bk-', 'bk-ABCDEFGHIJKL', `${id}/..`, 42]) expect(() => assertBackupId(bad)).toThrow(expect.objectContaining({ code: 'BACKUP_NOT_FOUND' }));
  });
});
