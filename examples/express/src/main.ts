// `pnpm --filter @auth/example-express start`: the Express example in cookie mode over HTTPS on
// 127.0.0.1, with its families in SQLite (examples/express/.data/), until Ctrl-C.
// STORE=memory|sqlite|redis|postgres and PORT choose otherwise.
import { createEngine } from '@auth/core'
import { exampleSecret, isStoreKind, onShutdown, openStore, selfSignedCertificate } from '@auth/example-common'
import { start } from './app.js'

const dataDir = new URL('../.data/', import.meta.url).pathname
const kind = process.env.STORE ?? 'sqlite'
if (!isStoreKind(kind)) throw new Error(`STORE must be memory, sqlite, redis or postgres (got ${kind})`)
const store = await openStore(kind, { dataDir })

const engine = createEngine({
  store: store.store,
  issuer: 'https://127.0.0.1',
  audience: 'example-api',
  // Quick start: every key derived from one secret (kept in .data/secret). Production passes `keys`.
  secret: await exampleSecret(dataDir),
  // Short enough to watch a refresh happen in the browser; see docs/policy.md for real values.
  policy: { accessTtl: '1m', reuseGrace: '10s', refreshIdleTtl: '1d', sessionMaxAge: '7d' },
  // Claims every access token carries, recomputed at each refresh.
  claims: (family) => ({ role: family.subject === 'admin' ? 'admin' : 'member' }),
  onEvent: (event) =>
    console.log(`[event] ${event.type} ${event.familyId}`, event.type === 'reuse_detected' ? '(security alert)' : ''),
})

const server = await start({
  engine,
  transport: 'cookie',
  tls: await selfSignedCertificate(),
  port: Number(process.env.PORT ?? 0),
})
console.log(`Express example on ${server.url}/ (store: ${store.description})`)
console.log('The certificate is self-signed: your browser will warn once. Ctrl-C stops.')
onShutdown(async () => {
  await server.close()
  await store.close()
})
