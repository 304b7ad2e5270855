/**
 * Resource limits for an instance, as ECS task sizes (seed 003: cpu/memory/desired count).
 */
import { BbwsError } from '../domain/errors.js';
import type { Resources } from '../domain/tenant.js';

export const CPU_UNITS = [256, 512, 1024, 2048, 4096] as const;
export const MAX_DESIRED_COUNT = 20;

/** A desired task count within the platform's limits, or VALIDATION_FAILED naming `desiredCount`. */
export function validateDesiredCount(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_DESIRED_COUNT) {
    throw new BbwsError('VALIDATION_FAILED', `desiredCount must be an integer from 0 to ${MAX_DESIRED_COUNT}.`, { field: 'desiredCount' });
  }
  return value;
}

/**
 * CPU, memory and desired count checked against the allowed values, or VALIDATION_FAILED
 * naming the field.
 */
export function validateResources(r: { cpu: unknown; memory: unknown; desiredCount: unknown }): Resources {
  if (typeof r.cpu !== 'number' || !(CPU_UNITS as readonly number[]).includes(r.cpu)) {
    throw new BbwsError('VALIDATION_FAILED', `resources.cpu must be one of ${CPU_UNITS.join(', ')}.`, { field: 'resources.cpu' });
  }
  if (typeof r.memory !== 'number' || !Number.isInteger(r.memory) || r.memory < 256 || r.memory > 30720) {
    throw new BbwsError('VALIDATION_FAILED', 'resources.memory must be an integer number of MiB from 256 to 30720.', { field: 'resources.memory' });
  }
  return { cpu: r.cpu, memory: r.memory, desiredCount: validateDesiredCount(r.desiredCount) };
}
