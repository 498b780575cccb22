// `pnpm demo` (and `pnpm demo -- --store memory --adapter hono --keep`): starts an example app on
// 127.0.0.1 and runs the scripted client against it, printing the timeline. Exit code 0 when
// every step behaved as the library promises.
import { parseArgs } from 'node:util'
import { isStoreKind, onShutdown } from '@auth/example-common'
import { ADAPTERS, type AdapterName, runDemo } from './demo.js'
import { colorWanted } from './timeline.js'

const USAGE = `usage: pnpm demo [-- options]

  --store memory|sqlite|redis|postgres   where families live (default sqlite: examples/demo/.data/auth.sqlite)
                                         redis reads REDIS_URL (default redis://127.0.0.1:6379),
                                         postgres reads DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)
  --adapter fastify|express|hono         which example app serves (default fastify)
  --no-feed                              without the opt-in revocation feed: see a revoked family's
                                         access token pass until its exp
  --keep                                 keep serving after the script; Ctrl-C stops cleanly
  --help                                 this text`

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`)
  process.exit(2)
}

let parsed: ReturnType<typeof parse>
function parse() {
  return parseArgs({
    // pnpm may hand over a literal `--` before the flags.
    args: process.argv.slice(2).filter((arg) => arg !== '--'),
    options: {
      store: { type: 'string', default: 'sqlite' },
      adapter: { type: 'string', default: 'fastify' },
      feed: { type: 'boolean', default: true },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowNegative: true,
  })
}
try {
  parsed = parse()
} catch (error) {
  fail((error as Error).message)
}
const { values } = parsed
if (values.help) {
  process.stdout.write(`${USAGE}\n`)
  process.exit(0)
}
if (!isStoreKind(values.store)) fail(`--store must be memory, sqlite, redis or postgres (got ${values.store})`)
if (!Object.hasOwn(ADAPTERS, values.adapter)) fail(`--adapter must be fastify, express or hono (got ${values.adapter})`)

const started = Date.now()
let run: Awaited<ReturnType<typeof runDemo>>
try {
  run = await runDemo({
    store: values.store,
    adapter: values.adapter as AdapterName,
    feed: values.feed,
    dataDir: new URL('../.data/', import.meta.url).pathname,
    write: (line) => process.stdout.write(`${line}\n`),
    color: colorWanted(),
  })
} catch (error) {
  process.stderr.write(`\nthe demo could not run: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
}

const took = ((Date.now() - started) / 1000).toFixed(1)
if (run.ok) {
  process.stdout.write(`\ndone in ${took} s. Every rule above lives in @auth/core; the store only compare-and-sets.\n`)
} else {
  process.stdout.write(`\n${run.failures.length} step(s) did not behave as promised (see ✗ above).\n`)
}

if (values.keep) {
  const base = run.server.url
  process.stdout.write(
    `\nStill serving on ${base} (bearer mode; the demo policy's access tokens live 4 s). Try:\n` +
      `  curl -s -X POST ${base}/login -H 'content-type: application/json' -d '{"username":"bob"}'\n` +
      `  curl -s ${base}/api/me -H 'authorization: Bearer <access_token>'\n` +
      'For the browser page (cookie mode), run: pnpm --filter @auth/example-fastify start\n' +
      'Ctrl-C stops.\n',
  )
  onShutdown(run.close)
} else {
  await run.close()
  process.exitCode = run.ok ? 0 : 1
}
