// Profiling aid: verify and sign of the workspace core against a patched copy (BENCH_CORE_ENTRY),
// beside the node:crypto floor, interleaved.
//   BENCH_CORE_ENTRY=/path/to/core/src/index.ts node --conditions=@auth/source --import tsx bench/src/tools/compare-core.ts
import * as workspace from '@auth/core'
import * as workspaceTokens from '@auth/core/tokens'
import { createMemoryStore } from '@auth/storage-memory'
import { ALGORITHMS, AUDIENCE, benchKey, ISSUER, keyRingInput } from '../lib/fixtures.js'
import { floorSigner, floorVerifier } from '../lib/floor.js'
import { measureSideBySide } from '../lib/measure.js'

const patched = (await import(process.env.BENCH_CORE_ENTRY as string)) as typeof workspace
// The codecs live in the tokens subpath, beside the entry: core/src/tokens/index.ts.
const patchedTokens = (await import(
  (process.env.BENCH_CORE_ENTRY as string).replace(/index\.ts$/, 'tokens/index.ts')
)) as typeof workspaceTokens
for (const alg of ALGORITHMS) {
  const key = benchKey(alg)
  const keys = keyRingInput(key)
  const make = (core: typeof workspace) =>
    core.createEngine({ store: createMemoryStore(), issuer: ISSUER, audience: AUDIENCE, keys, accessTokenCache: false })
  const a = make(workspace)
  const b = make(patched)
  const token = (await a.issue('u')).accessToken
  if (!(await b.verifyAccess(token)).ok) throw new Error('patched refuses the token')
  const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString())
  const ca = workspaceTokens.createAccessTokenCodec({
    keyRing: workspace.createKeyRing(keys),
    issuer: ISSUER,
    audience: AUDIENCE,
    leeway: 0,
  })
  const cb = patchedTokens.createAccessTokenCodec({
    keyRing: patched.createKeyRing(keys),
    issuer: ISSUER,
    audience: AUDIENCE,
    leeway: 0,
  })
  if (!(await a.verifyAccess(await cb.sign(claims))).ok) throw new Error('workspace refuses a patched token')
  const floor = floorVerifier(key)
  const fsign = floorSigner(key)
  const rows = await measureSideBySide(
    [
      { name: 'verify floor', fn: () => floor(token) },
      { name: 'verify workspace', fn: () => a.verifyAccess(token) },
      { name: 'verify patched', fn: () => b.verifyAccess(token) },
      { name: 'sign floor', fn: () => fsign(claims) },
      { name: 'sign workspace', fn: () => ca.sign(claims) },
      { name: 'sign patched', fn: () => cb.sign(claims) },
    ],
    { cpuMs: 250, rounds: 3 },
  )
  for (const r of rows)
    console.log(`${alg} ${r.name.padEnd(18)} ${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(10)}/s`)
}
