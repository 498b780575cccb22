// `pnpm demo` itself: the scripted timeline runs to the end, every step as the library promises,
// on the default SQLite file (created and migrated in a fresh folder) and on each adapter.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type AdapterName, type DemoOptions, runDemo } from '../src/demo.js'

async function demo(options: Pick<DemoOptions, 'store' | 'adapter' | 'dataDir' | 'feed'>) {
  const lines: string[] = []
  const run = await runDemo({ ...options, write: (line) => lines.push(line), color: false })
  await run.close()
  return { ...run, text: lines.join('\n') }
}

// Each run mostly waits out the demo policy in real time, so the runs share the wait.
describe.concurrent('pnpm demo', () => {
  it('prints the whole timeline on the default: Fastify and a SQLite file it creates and migrates', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'auth-demo-'))
    try {
      const run = await demo({ store: 'sqlite', adapter: 'fastify', dataDir, feed: true })
      expect(run.failures).toEqual([])
      expect(run.ok).toBe(true)
      expect(run.text).toContain(`SQLite ${join(dataDir, 'auth.sqlite')} (created, migrated to schema v2)`)
      for (let step = 1; step <= 8; step++) expect(run.text).toMatch(new RegExp(`^${step}\\. `, 'm'))
      for (const event of ['issued', 'rotated', 'replayed', 'reuse_detected', 'revoked']) {
        expect(run.text).toContain(`server event: ${event}`)
      }
      expect(run.text).not.toContain('\x1b[') // no colours when asked for none
      expect(run.text).not.toContain('unexpected')
      expect(run.text).toContain('ERR_ACCESS_TOKEN_REVOKED') // the feed refused the revoked family's access token

      const again = await demo({ store: 'sqlite', adapter: 'fastify', dataDir, feed: true })
      expect(again.ok).toBe(true)
      expect(again.text).toContain('(reused, schema v2, already migrated)')
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it.each(['express', 'hono'] satisfies AdapterName[])(
    'runs on the %s example with the memory store, without the revocation feed',
    async (adapter) => {
      const run = await demo({ store: 'memory', adapter, dataDir: tmpdir(), feed: false })
      expect(run.failures).toEqual([])
      expect(run.ok).toBe(true)
      expect(run.text).toContain(`adapter  @auth/${adapter}`)
      expect(run.text).toContain('the generation-1 access token still passes')
    },
  )
})
