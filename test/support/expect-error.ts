/** Assertions on the platform's typed errors, shared by the contract suites. */
import { expect } from 'vitest';
import { BbwsError, type ErrorCode } from '../../src/domain/errors.js';
import { StoreConflictError } from '../../src/ports/store.js';

/** Awaits `promise`, asserts it rejected, and returns the reason. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  let settled = false;
  try {
    await promise;
    settled = true;
  } catch (err) {
    return err;
  }
  expect(settled, 'expected the promise to reject').toBe(false);
  return undefined;
}

/** Asserts that `promise` rejects with a BbwsError of `code` (and `details.field`, when given). */
export async function expectBbwsError(promise: Promise<unknown>, code: ErrorCode, field?: string): Promise<BbwsError> {
  const err = await rejectionOf(promise);
  expect(err).toBeInstanceOf(BbwsError);
  const bbws = err as BbwsError;
  expect(bbws.code).toBe(code);
  if (field !== undefined) expect(bbws.details.field).toBe(field);
  return bbws;
}

/** Asserts that `promise` rejects with a StoreConflictError naming `which` and `id`. */
export async function expectConflict(promise: Promise<unknown>, which: StoreConflictError['which'], id: string): Promise<void> {
  const err = await rejectionOf(promise);
  expect(err).toBeInstanceOf(StoreConflictError);
  expect((err as StoreConflictError).which).toBe(which);
  expect((err as StoreConflictError).id).toBe(id);
}
