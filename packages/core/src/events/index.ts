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
