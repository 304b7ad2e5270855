/** Serial lanes: one piece of work at a time, in order, a failure staying with its caller. */
import { describe, expect, it } from 'vitest';
import { keyedSerialLanes, serialLane } from '../../src/adapters/serial-lane.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('serial lanes', () => {
  it('runs work one at a time in the order given, past a failure', async () => {
    const lane = serialLane();
    const log: string[] = [];
    let running = 0;
    const job = (name: string, fail = false) => async () => {
      running++;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      running--;
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([lane.run(job('a')), lane.run(job('b', true)), lane.run(job('c'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('keeps keys apart: two tenants run side by side, one tenant in turn', async () => {
    const lanes = keyedSerialLanes();
    const log: string[] = [];
    const job = (name: string) => async () => {
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
    };
    await Promise.all([lanes.run('a', job('a1')), lanes.run('b', job('b1')), lanes.run('a', job('a2'))]);
    expect(log.slice(0, 2).sort()).toEqual(['start a1', 'start b1']);
    expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
  });
});
