// Profiling aid: engine.verifyAccess (uncached) of one token in a loop.
//   node --cpu-prof --cpu-prof-dir=<dir> --conditions=@auth/source --import tsx bench/src/tools/profile-verify.ts HS256 [seconds]
import { createEngine } from '@auth/core'
import { createMemoryStore } from '@auth/storage-memory'
import { AUDIENCE, type BenchAlgorithm, benchKey, ISSUER, keyRingInput } from '../lib/fixtures.js'

const alg = (process.argv[2] ?? 'HS256') as BenchAlgorithm
const seconds = Number(process.argv[3] ?? 4)
const engine = createEngine({
  store: createMemoryStore(),
  issuer: ISSUER,
  audience: AUDIENCE,
  keys: keyRingInput(benchKey(alg)),
  accessTokenCache: false,
})
const token = (await engine.issue('u')).accessToken
const end = performance.now() + seconds * 1000
let n = 0
while (performance.now() < end) {
  for (let i = 0; i < 1000; i++) if ((await engine.verifyAccess(token)).ok) n++
}
console.log(`${alg}: ${Math.round(n / seconds).toLocaleString('en-US')}/s`)
