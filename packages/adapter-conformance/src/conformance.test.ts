import type { Transport } from '@auth/core/http'
import { afterEach, describe, it } from 'vitest'
import { expressAdapter } from './apps/express.js'
import { fastifyAdapter } from './apps/fastify.js'
import { honoAdapter } from './apps/hono.js'
import type { AdapterUnderTest } from './harness.js'
import { runOAuthClient } from './oauth-client.js'
import { SCENARIOS } from './scenarios.js'
import { type SuiteContext, startSuite } from './suite.js'

const ADAPTERS: readonly AdapterUnderTest[] = [expressAdapter, fastifyAdapter, honoAdapter]
const TRANSPORTS: readonly Transport[] = ['bearer', 'cookie']

describe.each(ADAPTERS)('$name over a real socket', (adapter) => {
  let running: SuiteContext | undefined
  afterEach(async () => {
    await running?.close()
    running = undefined
  })
  const start = async (transport: Transport) => {
    running = await startSuite(adapter, transport)
    return running
  }

  for (const transport of TRANSPORTS) {
    describe(transport, () => {
      for (const scenario of SCENARIOS.filter((s) => s.transports.includes(transport))) {
        it(scenario.name, async () => scenario.run(await start(transport)))
      }
    })
  }

  it('oauth4webapi runs refresh-token grants and a revocation unchanged', async () => {
    await runOAuthClient(await start('bearer'))
  })
})
