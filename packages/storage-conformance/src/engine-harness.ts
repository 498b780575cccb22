import { type AuthEvent, createEngine, type Engine, type FamilyStore, type PolicyInput } from '@auth/core'
import type { ManualClock } from '@auth/core/testing'

/** The policy the engine suites run under: short enough to step through, long enough for a network. */
export const SUITE_POLICY = {
  accessTtl: '5m',
  refreshIdleTtl: '1h',
  sessionMaxAge: '3h',
  reuseGrace: '10s',
  leeway: 0,
  graceBinding: 'none',
} as const satisfies PolicyInput

/** An engine on `store`, driven by the suite's clock, recording every event. */
export function suiteEngine(
  store: FamilyStore,
  clock: ManualClock,
  policy: PolicyInput = SUITE_POLICY,
): { engine: Engine; events: AuthEvent[] } {
  const events: AuthEvent[] = []
  const engine = createEngine({
    store,
    issuer: 'https://conformance.auth.test',
    audience: 'conformance',
    secret: '16YnaLQhhs8Elrz2XQMB7DwdiSGHTqK/Ky08XHvU43M=',
    algorithm: 'HS256',
    clock,
    policy,
    onEvent: (event) => events.push(event),
  })
  return { engine, events }
}
