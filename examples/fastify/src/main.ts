// `pnpm --filter @auth/example-fastify start`: the Fastify example in cookie mode over HTTPS on
// 127.0.0.1, with its families in SQLite (examples/fastify/.data/), until Ctrl-C.
// STORE=memory|sqlite|redis|postgres and PORT choose otherwise.
import { runExample } from '@auth/example-common'
import { start } from './app.js'

// The store, the engine (quick-start secret, a one-minute access TTL, a `role` claim) and the
// shutdown are the same for the three examples: see examples/common/src/run.ts.
await runExample({ name: 'Fastify', start, dataDir: new URL('../.data/', import.meta.url).pathname })
