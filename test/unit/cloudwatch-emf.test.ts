/** CloudWatch EMF metrics (aws-embedded-metrics): namespace, dimensions, units, values, and nothing before flush. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEmfMetrics } from '../../src/adapters/metrics/cloudwatch-emf.js';

afterEach(() => vi.restoreAllMocks());

function captureLines(): string[] {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
  return lines;
}

describe('CloudWatch EMF metrics', () => {
  it('writes seed 001 metrics under BBWS/WPTechnical with the Environment dimension, at flush only', async () => {
    const lines = captureLines();
    const m = createEmfMetrics({ environment: 'sit', target: 'Local' });
    m.increment('SiteCreated');
    m.increment('SiteCreated');
    m.observe('SiteCreationDuration', 42.5);
    m.observe('WordPressAPILatency', 120, { operation: 'install' });
    m.setGauge('DLQMessages', 0);
    expect(lines).toEqual([]);
    await m.flush();
    const docs = lines.map((l) => JSON.parse(l));
    expect(docs).toHaveLength(2);
    const plain = docs.find((d) => d.operation === undefined)!;
    expect(plain._aws.CloudWatchMetrics[0].Namespace).toBe('BBWS/WPTechnical');
    expect(plain._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Environment']]);
    expect(plain.Environment).toBe('sit');
    expect(plain.SiteCreated).toEqual([1, 1]);
    expect(plain.SiteCreationDuration).toBe(42.5);
    expect(plain.DLQMessages).toBe(0);
    const units = Object.fromEntries(plain._aws.CloudWatchMetrics[0].Metrics.map((x: { Name: string; Unit: string }) => [x.Name, x.Unit]));
    expect(units).toMatchObject({ SiteCreated: 'Count', SiteCreationDuration: 'Seconds', DLQMessages: 'None' });
    const labelled = docs.find((d) => d.operation === 'install')!;
    expect(labelled._aws.CloudWatchMetrics[0].Dimensions[0].sort()).toEqual(['Environment', 'operation']);
    expect(labelled._aws.CloudWatchMetrics[0].Metrics[0]).toEqual({ Name: 'WordPressAPILatency', Unit: 'Milliseconds' });
    await m.flush();
    expect(lines).toHaveLength(2); // flushed once: nothing is written twice
  });

  it('never throws at the caller, whatever it is given', () => {
    const m = createEmfMetrics({ environment: 'dev', target: 'Local' });
    expect(() => m.observe('X', Number.NaN)).not.toThrow();
    expect(() => m.increment('Y', { bad: {} as unknown as string })).not.toThrow();
  });
});
