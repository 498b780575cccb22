import { type AuthErrorCode, isAuthError } from '@auth/core'
import { createManualClock, listAllBySubject, type ManualClock } from '@auth/core/testing'
import { expect } from 'vitest'
import type { ConformanceHarness, ConformanceOptions, SuiteName } from './types.js'

/** A harness plus the clock it was set up with. */
export interface TestHarness extends ConformanceHarness {
  readonly clock: ManualClock
}

/**
 * True (after printing the reason) when the driver opted out of `suite`. An opt-out without a
 * reason is refused: every opt-out must say why.
 */
export function optedOut(options: ConformanceOptions, suite: SuiteName): boolean {
  const reason = options.skip?.[suite]
  if (reason === undefined) return false
  if (typeof reason !== 'string' || reason.trim() === '') {
    throw new TypeError(`storage conformance (${options.name}): opting out of '${suite}' needs a reason`)
  }
  console.warn(`[conformance] ${options.name}: suite '${suite}' opted out: ${reason}`)
  return true
}

/** Sets up a fresh store, runs `fn` on it, and always cleans up. */
export async function withHarness<T>(
  options: ConformanceOptions,
  fn: (harness: TestHarness) => Promise<T>,
): Promise<T> {
  const clock = createManualClock(Date.now())
  const harness = await options.setup({ clock })
  try {
    return await fn({ ...harness, clock })
  } finally {
    await harness.cleanup()
  }
}

/** `local` runs for an in-process store, `network` runs for a store behind a network. */
export function runs(options: ConformanceOptions, local: number, network: number): number {
  return options.network === true ? network : local
}

/** Asserts that `promise` rejects with an `AuthError` carrying `code`. */
export async function expectAuthError(promise: Promise<unknown>, code: AuthErrorCode, what: string): Promise<void> {
  let settled: { ok: true; value: unknown } | { ok: false; error: unknown }
  try {
    settled = { ok: true, value: await promise }
  } catch (error) {
    settled = { ok: false, error }
  }
  if (settled.ok) {
    expect.fail(`${what}: expected AuthError('${code}') to be thrown, got ${JSON.stringify(settled.value)}`)
  }
  const { error } = settled
  expect(isAuthError(error), `${what}: expected an AuthError, got ${String(error)}`).toBe(true)
  expect((error as { code: unknown }).code, `${what}: wrong error code`).toBe(code)
}

/** Records sorted by id, for order-insensitive comparison. */
export function byId<T extends { readonly id: string }>(records: readonly T[]): T[] {
  return [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** Resolves after `ms` milliseconds of real time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Every record `listBySubject` gives for `subject`, walking its pages as the engine does (each id once). */
export const listAll = listAllBySubject
