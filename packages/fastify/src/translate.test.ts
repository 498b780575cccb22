import type { AuthRequest } from '@auth/core/http'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { toAuthRequest } from './translate.js'

describe('toAuthRequest', () => {
  it("reads protocol and host lazily from prototype getters, through Fastify's trustProxy", async () => {
    let seen: AuthRequest | undefined
    const app = Fastify({ trustProxy: true })
    app.get('/p', async (request, reply) => {
      seen = toAuthRequest(request, { kind: 'none' })
      return reply.code(204).send()
    })
    const response = await app.inject({
      url: '/p?q=1',
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example', 'x-custom': ['a', 'b'] },
    })
    await app.close()
    expect(response.statusCode).toBe(204)
    if (seen === undefined) throw new Error('the route did not run')
    // An object literal with getters made a dictionary-mode object per request whose closures
    // kept the whole request alive until a full GC.
    expect(Object.getOwnPropertyDescriptor(seen, 'protocol')).toBeUndefined()
    expect(Object.getOwnPropertyDescriptor(seen, 'hostname')).toBeUndefined()
    expect(seen.path).toBe('/p?q=1')
    expect(seen.protocol).toBe('https')
    expect(seen.hostname).toBe('app.example')
    expect(seen.headers.get('X-Custom')).toBe('a, b')
  })
})
