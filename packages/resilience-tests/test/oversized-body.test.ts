// Review finding 3: a client declaring `Content-Length: 10000000000` got its 413 from the Express
// adapter and the server went on reading, 5.1 GB in 3 s on one socket. Now, on every adapter, the
// 413 says `Connection: close`, at most max(64 KiB, bodyLimit) more is read, and the connection
// is closed. Raw sockets: the client writes as fast as the server takes bytes, for at most 3 s.
import { connect } from 'node:net'
import { type AdapterUnderTest, expressAdapter, fastifyAdapter, honoAdapter } from '@auth/adapter-conformance'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type HostileApp, makeKeys, startHostileApp } from '../src/hostile-app.js'

const WRITE_FOR_MS = 3_000
/** What the server may take in before it stops: the drain cap plus socket buffers on both sides. */
const MAX_ACCEPTED = 32 * 1024 * 1024

interface Outcome {
  readonly status: number
  readonly connectionClose: boolean
  readonly accepted: number
  readonly closedAfterMs: number | null
}

/** Declares a 10 GB JSON body for the refresh route and streams zeros until the server stops taking them. */
function flood(port: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = Date.now()
    const socket = connect(port, '127.0.0.1')
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    let accepted = 0
    let reply = ''
    let closedAfterMs: number | null = null
    let stopped = false
    const finish = () => {
      if (stopped) return
      stopped = true
      socket.destroy()
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0)
      resolve({ status, connectionClose: /\r\nconnection: close\r\n/i.test(reply), accepted, closedAfterMs })
    }
    socket.on('data', (data) => {
      reply += data.toString('latin1')
    })
    socket.on('error', () => undefined)
    socket.on('close', () => {
      closedAfterMs = Date.now() - started
      finish()
    })
    socket.write(
      'POST /auth/refresh HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nUser-Agent: flood\r\nContent-Length: 10000000000\r\n\r\n',
    )
    const pump = () => {
      while (!stopped && Date.now() - started < WRITE_FOR_MS) {
        accepted += chunk.byteLength
        if (!socket.write(chunk)) {
          socket.once('drain', pump)
          return
        }
      }
      if (!stopped) setTimeout(finish, 500)
    }
    pump()
  })
}

const ADAPTERS: readonly AdapterUnderTest[] = [expressAdapter, fastifyAdapter, honoAdapter]

describe('an oversized body (Content-Length: 10 GB, streamed for up to 3 s on a raw socket)', () => {
  const keys = makeKeys()
  const apps = new Map<string, HostileApp>()
  beforeAll(async () => {
    for (const adapter of ADAPTERS) apps.set(adapter.name, await startHostileApp(adapter, 'bearer', keys))
  })
  afterAll(async () => {
    for (const app of apps.values()) await app.close()
  })

  for (const adapter of ADAPTERS) {
    it(`${adapter.name}: 413 with Connection: close, then the server stops reading and closes the socket`, async () => {
      const app = apps.get(adapter.name) as HostileApp
      const outcome = await flood(app.port)
      expect(outcome.status, JSON.stringify(outcome)).toBe(413)
      expect(outcome.connectionClose, JSON.stringify(outcome)).toBe(true)
      expect(outcome.closedAfterMs, 'the server must close the connection').not.toBeNull()
      expect(outcome.closedAfterMs as number).toBeLessThan(WRITE_FOR_MS)
      expect(outcome.accepted, 'bytes the server let the client write').toBeLessThan(MAX_ACCEPTED)
      // The server still serves the next client.
      expect((await fetch(`${app.url}/auth/jwks`)).status).toBe(200)
    })
  }
})
