import type { RevocationReason } from '../machine/types.js'

/**
 * Where a request came from, as the http layer saw it: the client IP under the framework's
 * trust-proxy setting, and the `User-Agent`. Passed to the engine's calls as `context`; events
 * carry it for investigators. Never a token, never a secret.
 */
export interface RequestContext {
  readonly ip?: string | undefined
  readonly userAgent?: string | undefined
}

/** Fields every event carries. Times are epoch milliseconds. */
interface EventBase {
  readonly at: number
  readonly familyId: string
  readonly subject: string
  /** The client the family was issued to (`clientIds`), or null. */
  readonly clientId: string | null
  /** The request that caused the event, when the caller gave its `context` (the http layer always does). */
  readonly context?: RequestContext | undefined
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
  | (EventBase & {
      /** A refresh of an authentic token refused without changing the family (revoked, another client, no DPoP proof…). */
      readonly type: 'refresh_refused'
      readonly code: string
    })

/** The fields of an event about `family` at `at`. */
export function eventBase(
  family: { readonly id: string; readonly subject: string; readonly clientId: string | null },
  at: number,
  context: RequestContext | undefined,
): EventBase {
  return context === undefined
    ? { at, familyId: family.id, subject: family.subject, clientId: family.clientId }
    : { at, familyId: family.id, subject: family.subject, clientId: family.clientId, context }
}

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
