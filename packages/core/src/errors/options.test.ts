import { describe, expect, it } from 'vitest'
import { createEngine } from '../engine/engine.js'
import { createAuthHttp } from '../http/http.js'
import { resolvePolicy } from '../policy/policy.js'
import { createLocalRevocationFeed } from '../revocation/local-feed.js'
import { createRevokedFamilies } from '../revocation/revoked-families.js'
import { createTestEngine, createTestStore, TEST_SECRET } from '../testing/index.js'
import { assertKnownOptions } from './options.js'

const base = { store: createTestStore(), issuer: 'https://i.test', audience: 'api', secret: TEST_SECRET }

describe('unknown option names fail at start-up with the nearest valid name', () => {
  it("policy: a wrong case, another library's name, a typo", () => {
    expect(() => resolvePolicy({ accessTTL: '5m' } as never)).toThrow(
      /policy: unknown option "accessTTL"; did you mean accessTtl\?/,
    )
    expect(() => resolvePolicy({ expiresIn: '5m' } as never)).toThrow(/did you mean accessTtl\?/)
    expect(() => resolvePolicy({ sesionMaxAge: '1d' } as never)).toThrow(/did you mean sessionMaxAge\?/)
  })

  it('createEngine: policy fields at the top level point into policy; secret aliases point at secret', () => {
    expect(() => createEngine({ ...base, accessTTL: '5m' } as never)).toThrow(
      /createEngine: unknown option "accessTTL"; did you mean policy\.accessTtl\?/,
    )
    expect(() => createEngine({ ...base, jwtSecret: 'x' } as never)).toThrow(/did you mean secret\?/)
    expect(() => createEngine({ ...base, issuerr: 'x' } as never)).toThrow(/did you mean issuer\?/)
  })

  it('createAuthHttp and its cookies, the revocation set and the local feed', () => {
    const { engine } = createTestEngine()
    expect(() => createAuthHttp({ engine, prefx: '/auth' } as never)).toThrow(/did you mean prefix\?/)
    expect(() => createAuthHttp({ engine, transport: 'cookie', cookies: { secur: false } } as never)).toThrow(
      /cookies: unknown option "secur"; did you mean secure\?/,
    )
    const feed = createLocalRevocationFeed({ heartbeatInterval: false })
    expect(() => createRevokedFamilies({ feed, stalenes: '5s' } as never)).toThrow(/did you mean staleness\?/)
    expect(() => createLocalRevocationFeed({ heartbeat: 10 } as never)).toThrow(/did you mean heartbeatInterval\?/)
  })

  it('a name far from every valid one lists them instead', () => {
    expect(() => assertKnownOptions('x', { zzzzzzzz: 1 }, ['alpha', 'beta'])).toThrow(
      /x: unknown option "zzzzzzzz"; valid options: alpha, beta/,
    )
    expect(() => assertKnownOptions('x', { alpha: 1 }, ['alpha'])).not.toThrow()
  })
})
