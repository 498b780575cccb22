import type { AuthEvent, AuthEventHandler } from '../events/index.js'

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
