import { randomBytes } from 'node:crypto'
import {
  type AuthEvent,
  createEngine,
  createLocalRevocationFeed,
  createRevokedFamilies,
  type PolicyInput,
} from '@auth/core'
import { type ExampleServer, openStore, type StartExample, type StoreKind } from '@auth/example-common'
import { start as startExpress } from '@auth/example-express'
import { start as startFastify } from '@auth/example-fastify'
import { start as startHono } from '@auth/example-hono'
import { describeEvent, runScript, type ScriptResult } from './script.js'
import { Timeline } from './timeline.js'

/** The adapters the demo can run on, and the example app of each. */
export const ADAPTERS: Readonly<Record<'fastify' | 'express' | 'hono', StartExample>> = {
  fastify: startFastify,
  express: startExpress,
  hono: startHono,
}
export type AdapterName = keyof typeof ADAPTERS

/**
 * The demo's lifetime policy: seconds instead of minutes, so the whole story fits in about ten
 * seconds of real time. The grace window must be shorter than the access TTL (the policy refuses
 * anything else), and here it is short enough that the access token issued at the rotation still
 * lives when the window closes, to show what a revoked family's access token does. Leeway 0 makes
 * the expiry visible to the second.
 */
export const DEMO_POLICY: PolicyInput = {
  accessTtl: 4,
  reuseGrace: 2,
  leeway: 0,
  refreshIdleTtl: '1h',
  sessionMaxAge: '1d',
}

export interface DemoOptions {
  readonly store: StoreKind
  readonly adapter: AdapterName
  /** SQLite's folder (`auth.sqlite` is created and migrated there on first run). */
  readonly dataDir: string
  /**
   * Turn on the opt-in revocation feed, so a revoked family's access tokens are refused at once
   * rather than at their `exp`. The demo is one process, so the feed is the in-process one.
   */
  readonly feed: boolean
  readonly write: (line: string) => void
  readonly color: boolean
}

/** A finished script run; the app is still listening until `close()`. */
export interface DemoRun extends ScriptResult {
  readonly server: ExampleServer
  /** Closes the server, then the store. */
  close(): Promise<void>
}

/**
 * Opens the store, starts the chosen example app on 127.0.0.1 (bearer mode: the scripted client
 * is not a browser), and runs the script against it. The app keeps serving until `close()`.
 */
export async function runDemo(options: DemoOptions): Promise<DemoRun> {
  const timeline = new Timeline({ write: options.write, color: options.color })
  timeline.title('pnpm demo: rotating refresh tokens, families, grace window and reuse detection')
  const opened = await openStore(options.store, { dataDir: options.dataDir })
  const events: AuthEvent[] = []
  // One process, so an in-process feed (it heartbeats by itself); several nodes use
  // createRedisRevocationFeed or createPostgresRevocationFeed (docs/operations.md).
  const feed = options.feed ? createLocalRevocationFeed() : null
  const revocations = feed === null ? null : createRevokedFamilies({ feed })
  const closeStore = async () => {
    await revocations?.close()
    await opened.close()
  }
  const engine = createEngine({
    store: opened.store,
    issuer: 'http://127.0.0.1',
    audience: 'example-api',
    // Every key derived from one throwaway secret: the demo's tokens die with the process.
    secret: randomBytes(32).toString('base64url'),
    policy: DEMO_POLICY,
    claims: (family) => ({ role: family.subject === 'admin' ? 'admin' : 'member' }),
    onEvent: (event) => {
      events.push(event)
      const { text, alert } = describeEvent(event)
      timeline.event(text, alert)
    },
    ...(revocations === null ? {} : { revocations }),
  })
  let server: ExampleServer
  try {
    await revocations?.ready()
    // The start-up check: the clock, the keys, the store reachable and migrated.
    await engine.check()
    server = await ADAPTERS[options.adapter]({ engine, transport: 'bearer' })
  } catch (error) {
    await closeStore()
    throw error
  }
  const close = async () => {
    await server.close()
    await closeStore()
  }
  const { policy } = engine
  timeline.note(`adapter  @auth/${options.adapter} (examples/${options.adapter}), listening on ${server.url}`)
  timeline.note(`store    ${opened.description}`)
  timeline.note(
    `policy   accessTtl ${policy.accessTtl / 1000} s, reuseGrace ${policy.reuseGrace / 1000} s, leeway ${policy.leeway / 1000} s (demo values; see docs/policy.md)`,
  )
  timeline.note(
    feed === null
      ? 'feed     off (--no-feed): access tokens are stateless and live until their exp'
      : 'feed     the opt-in revocation feed is on (in-process): revoked families are refused at once (--no-feed: off)',
  )
  try {
    const result = await runScript({ url: server.url, timeline, policy, events, revocationFeed: feed !== null })
    return { ...result, server, close }
  } catch (error) {
    await close()
    throw error
  }
}
