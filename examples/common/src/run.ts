import { createEngine } from '@auth/core'
import { exampleKeys, exampleSecret } from './secret.js'
import { onShutdown } from './shutdown.js'
import { isStoreKind, openStore } from './store.js'
import { selfSignedCertificate } from './tls.js'
import type { StartExample } from './types.js'

/** What an example's `main.ts` passes to {@link runExample}. */
export interface RunExampleOptions {
  /** For the start-up line: `Express`, `Fastify`, `Hono`. */
  readonly name: string
  /** The example's own `start()` (from its `app.ts`). */
  readonly start: StartExample
  /** The example's `.data/` folder: the SQLite file and the quick-start secret. */
  readonly dataDir: string
}

/**
 * What `pnpm --filter @auth/example-<name> start` does, the same for the three example apps:
 * opens the store that `STORE` names (default SQLite in `dataDir`), builds the engine, starts the
 * app in cookie mode over HTTPS on 127.0.0.1 (`PORT`, default any free port), and closes both on
 * Ctrl-C.
 */
export async function runExample({ name, start, dataDir }: RunExampleOptions): Promise<void> {
  const kind = process.env.STORE ?? 'sqlite'
  if (!isStoreKind(kind)) throw new Error(`STORE must be memory, sqlite, redis or postgres (got ${kind})`)
  const store = await openStore(kind, { dataDir })

  const engine = createEngine({
    store: store.store,
    issuer: 'https://127.0.0.1',
    audience: 'example-api',
    // Production keys made with the CLI (see the example's README), else the quick start: every
    // key derived from one secret (kept in .data/secret).
    ...((await exampleKeys()) ?? { secret: await exampleSecret(dataDir) }),
    // Short enough to watch a refresh happen in the browser; see docs/policy.md for real values.
    policy: { accessTtl: '1m', reuseGrace: '10s', refreshIdleTtl: '1d', sessionMaxAge: '7d' },
    // Claims every access token carries, recomputed at each refresh.
    claims: (family) => ({ role: family.subject === 'admin' ? 'admin' : 'member' }),
    onEvent: (event) =>
      console.log(`[event] ${event.type} ${event.familyId}`, event.type === 'reuse_detected' ? '(security alert)' : ''),
  })
  // The start-up check: clock, keys, and the store reachable and migrated. A mistake stops the
  // app here, with the fix in the message, instead of failing every request.
  await engine.check()

  const server = await start({
    engine,
    transport: 'cookie',
    tls: await selfSignedCertificate(),
    port: Number(process.env.PORT ?? 0),
  })
  console.log(`${name} example on ${server.url}/ (store: ${store.description})`)
  console.log('The certificate is self-signed: your browser will warn once. Ctrl-C stops.')
  onShutdown(async () => {
    await server.close()
    await store.close()
  })
}
