/**
 * Where alarm state lives: per-alarm settings (overrides of the seeds' defaults), the current
 * state, the history of transitions, mutes, and the samples the evaluator takes each tick (so
 * metric history survives a restart). The SQLite adapter keeps them in state.db; DynamoDB later.
 */
import type { AlarmSettings, AlarmState } from '../domain/alarms.js';
import type { Sample } from '../domain/alarm-metrics.js';

export interface AlarmStatus {
  name: string;
  state: AlarmState;
  /** Why it is in this state, in words (the datapoints and the threshold). */
  reason: string;
  /** The latest datapoint, when there is one. */
  value: number | null;
  /** When it entered this state. */
  since: string;
  evaluatedAt: string;
}

export interface AlarmTransition {
  name: string;
  at: string;
  from: AlarmState;
  to: AlarmState;
  reason: string;
  value: number | null;
  /** True when the alarm was muted: logged and kept, but no webhook went out. */
  muted: boolean;
}

export interface AlarmTick {
  at: number;
  samples: { alarm: string; sample: Sample }[];
  statuses: AlarmStatus[];
  transitions: AlarmTransition[];
}

export interface AlarmStore {
  settings(): Promise<Record<string, AlarmSettings>>;
  saveSettings(name: string, settings: AlarmSettings): Promise<void>;
  statuses(): Promise<AlarmStatus[]>;
  /** Mutes (actions off) until then; null unmutes. */
  mute(name: string, until: string | null): Promise<void>;
  mutes(): Promise<Record<string, string>>;
  /** One evaluation, all or nothing: its samples, the new statuses and the transitions. */
  recordTick(tick: AlarmTick): Promise<void>;
  /** Samples taken at or after `sinceMs`, oldest first. */
  samplesSince(sinceMs: number): Promise<{ alarm: string; at: number; sample: Sample }[]>;
  /** Newest first. */
  history(options: { alarm?: string; limit: number }): Promise<AlarmTransition[]>;
  /**
   * Transitions not yet published to the webhooks, oldest first (an outbox: recorded in the same
   * transaction as the state, published after, marked once published; muted ones never are).
   */
  unannounced(limit: number): Promise<(AlarmTransition & { seq: number })[]>;
  markAnnounced(seq: number): Promise<void>;
  /** Drops samples older than `beforeMs` (history is kept). */
  pruneSamples(beforeMs: number): Promise<number>;
}
