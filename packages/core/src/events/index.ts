import type { RevocationReason } from '../machine/types.js'

/** Fields every event carries. Times are epoch milliseconds. */
interface EventBase {
  readonly at: number
  readonly familyId: string
  readonly subject: string
}

/**
 * What the engine reports to `onEvent`. `reuse_detected` is a security alert: a refresh token
 * was presented after it had been rotated away, so one copy of it is likely in a thief's hands.
 */
export type AuthEvent =
  | (EventBase & { readonly type: 'issued'; readonly generation: 0 })
  | (EventBase & { readonly type: 'rotated'; readonly generation: number })
  | (EventBase & { readonly type: 'replayed'; readonly generation: number })
  | (EventBase & {
      readonly type: 'reuse_detected'
      readonly presentedGeneration: number
      readonly currentGeneration: number
    })
  | (EventBase & { readonly type: 'revoked'; readonly reason: RevocationReason })
  | (EventBase & { readonly type: 'expired'; readonly kind: 'idle' | 'absolute' })

/** The hook that receives events. It must not throw; if it does, the error is reported and ignored. */
export type AuthEventHandler = (event: AuthEvent) => void

/** Sends events to the user's hook; a hook that throws (or rejects) is reported and never breaks the request. */
export type Emit = (event: AuthEvent) => void

/** Builds the engine's {@link Emit} around the optional `onEvent` hook. */
export function createEmitter(onEvent: AuthEventHandler | undefined): Emit {
  if (onEvent === undefined) return () => {}
  const report = (error: unknown, event: AuthEvent): void => {
    console.error(`[@auth/core] onEvent threw while handling a ${event.type} event; the request went on`, error)
  }
  return (event) => {
    try {
      const returned: unknown = onEvent(event)
      if (returned instanceof Promise) returned.catch((error: unknown) => report(error, event))
    } catch (error) {
      report(error, event)
    }
  }
}
