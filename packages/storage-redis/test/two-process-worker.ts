// One app process of the two-process race: builds its own engine on the shared Redis, reports
// `ready`, waits for `go`, fires its refreshes all at once, and reports what each one got.
import { createEngine } from '@auth/core'
import { createRedisStore } from '@auth/storage-redis'

const { REDIS_URL, TEST_PREFIX, TEST_SECRET, TEST_TOKEN, TEST_REFRESHES } = process.env
if (!REDIS_URL || !TEST_PREFIX || !TEST_SECRET || !TEST_TOKEN || !TEST_REFRESHES || !process.send) {
  throw new Error('two-process-worker: run me through child_process.fork with the TEST_* environment')
}
const send = process.send.bind(process)

const store = createRedisStore({ url: REDIS_URL, prefix: TEST_PREFIX })
const engine = createEngine({
  store,
  issuer: 'https://two-process.auth.test',
  audience: 'two-process',
  secret: TEST_SECRET,
  algorithm: 'HS256',
  policy: { reuseGrace: '10s', graceBinding: 'none' },
})

// Warm up: connect, and prove the token is readable, before reporting ready.
const inspected = await engine.inspectRefreshToken(TEST_TOKEN)
if (!inspected.ok) throw new Error(`two-process-worker: cannot read the token: ${inspected.code}`)
send({ type: 'ready', pid: process.pid })

process.once('message', async (message: { type: string }) => {
  if (message.type !== 'go') return
  const count = Number(TEST_REFRESHES)
  const startedAt = Date.now()
  const results = await Promise.all(Array.from({ length: count }, () => engine.refresh(TEST_TOKEN)))
  const outcomes = results.map((r) =>
    r.ok ? { type: r.type, successor: r.pair.refreshToken, generation: r.pair.generation } : { type: r.code },
  )
  send({ type: 'done', pid: process.pid, outcomes, startedAt, endedAt: Date.now() }, () => {
    void store.close().then(() => process.exit(0))
  })
})
