import type { AddressInfo } from 'node:net'
import type { AuthRequest } from '@auth/core/http'
import express from 'express'
import { describe, expect, it } from 'vitest'
import { toAuthRequest } from './translate.js'

describe('toAuthRequest', () => {
  it("reads protocol and host lazily from prototype getters, through Express's trust proxy", async () => {
    let seen: AuthRequest | undefined
    const app = express()
    app.set('trust proxy', true)
    app.get('/p', (req, res) => {
      seen = toAuthRequest(req, { kind: 'none' })
      res.status(204).end()
    })
    const server = await new Promise<import('node:http').Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s))
    })
    try {
      const { port } = server.address() as AddressInfo
      const response = await fetch(`http://127.0.0.1:${port}/p?q=1`, {
        headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example', 'x-forwarded-for': '203.0.113.9' },
      })
      expect(response.status).toBe(204)
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
    if (seen === undefined) throw new Error('the route did not run')
    // An object literal with getters made a dictionary-mode object per request whose closures
    // kept the whole request alive until a full GC.
    expect(Object.getOwnPropertyDescriptor(seen, 'protocol')).toBeUndefined()
    expect(Object.getOwnPropertyDescriptor(seen, 'hostname')).toBeUndefined()
    expect(seen.path).toBe('/p?q=1')
    expect(seen.protocol).toBe('https')
    expect(seen.hostname).toBe('app.example')
    expect(seen.ip).toBe('203.0.113.9')
  })
})
