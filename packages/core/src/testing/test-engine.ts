import { createEngine } from '../engine/engine.js'
import type { Engine, EngineOptions } from '../engine/types.js'
import type { AuthEvent } from '../events/index.js'
import type { Clock } from '../runtime.js'
import { createManualClock, type ManualClock } from './clock.js'
import { createSeededRandom } from './random.js'
import { createTestStore, type TestStore } from './test-store.js'

/** A secret for tests only (32 bytes, base64): never use it anywhere else. */
export const TEST_SECRET = '7idh/GOTto2iixcnMfSTuBQ8ihJKM8nml6xg6rlIrRI='

/** What {@link createTestEngine} builds: the engine and what it runs on. */
export interface TestEngine<C extends Clock = ManualClock> {
  readonly engine: Engine
  readonly store: TestStore
  readonly clock: C
  /** Every event the engine emitted, in order. */
  readonly events: AuthEvent[]
}

/**
 * An engine for tests: a {@link createTestStore} and the engine on one manual clock, seeded
 * randomness, keys derived from {@link TEST_SECRET}, issuer `https://auth.example.test`, audience
 * `api`, and every event recorded. Any option can be overridden (give `store` to use a real driver).
 */
export function createTestEngine<C extends Clock = ManualClock>(
  options: Partial<Omit<EngineOptions, 'clock'>> & { readonly clock?: C } = {},
): TestEngine<C> {
  const clock = options.clock ?? (createManualClock() as Clock as C)
  const store = (options.store as TestStore | undefined) ?? createTestStore({ clock })
  const events: AuthEvent[] = []
  const { onEvent, ...rest } = options
  const engine = createEngine({
    issuer: 'https://auth.example.test',
    audience: 'api',
    random: createSeededRandom(7),
    ...(rest.keys === undefined ? { secret: TEST_SECRET } : {}),
    ...rest,
    store,
    clock,
    onEvent: (event) => {
      events.push(event)
      onEvent?.(event)
    },
  })
  return { engine, store, clock, events }
}
