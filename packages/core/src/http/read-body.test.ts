import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PassThrough, Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { MIN_OVERSIZE_DRAIN, readLimitedBody } from './read-body.js'

const text = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString())

describe('readLimitedBody on a Node stream', () => {
  it('collects every chunk, up to the limit exactly', async () => {
    const stream = Readable.from([Buffer.from('ab'), Buffer.from('cd'), Buffer.from('e')], { objectMode: false })
    expect(text(await readLimitedBody(stream, 5))).toBe('abcde')
    expect(text(await readLimitedBody(Readable.from([Buffer.from('one chunk')]), 100))).toBe('one chunk')
  })

  it('past the limit: null at once, then drops at most the drain budget and pauses the stream', async () => {
    const stream = new PassThrough()
    const read = readLimitedBody(stream, 4)
    stream.write(Buffer.from('12345'))
    expect(await read).toBeNull()
    // Still reading (dropping) within the budget, so a client that sent a little too much reads the 413.
    stream.write(Buffer.alloc(MIN_OVERSIZE_DRAIN - 10))
    await new Promise((resolve) => setImmediate(resolve))
    expect(stream.isPaused()).toBe(false)
    stream.write(Buffer.alloc(20))
    await new Promise((resolve) => setImmediate(resolve))
    expect(stream.isPaused()).toBe(true)
    expect(stream.listenerCount('data')).toBe(0)
    // A late error (the client resets while the 413 goes out) finds a listener: no crash.
    stream.destroy(new Error('reset'))
    await new Promise((resolve) => stream.once('close', resolve))
  })

  it('reads a stream someone paused, and an ended one as empty', async () => {
    const paused = new PassThrough()
    paused.pause()
    const read = readLimitedBody(paused, 100)
    paused.end(Buffer.from('hello'))
    expect(text(await read)).toBe('hello')
    const ended = new PassThrough()
    ended.end()
    ended.resume()
    await new Promise((resolve) => ended.once('end', resolve))
    expect((await readLimitedBody(ended, 100))?.byteLength).toBe(0)
  })

  it('rejects a stream that errors, or is destroyed, before its end', async () => {
    const failing = new PassThrough()
    const read = readLimitedBody(failing, 100)
    failing.write(Buffer.from('part'))
    failing.destroy(new Error('boom'))
    await expect(read).rejects.toThrow('boom')
    const cut = new PassThrough()
    const read2 = readLimitedBody(cut, 100)
    cut.destroy()
    await expect(read2).rejects.toThrow(/cut off/)
    await expect(readLimitedBody(cut, 100)).rejects.toThrow()
  })

  it('a real request whose client goes away mid-body rejects; a whole one arrives intact', async () => {
    const outcomes: Array<string | null> = []
    const server = createServer((req, res) => {
      readLimitedBody(req, 1000).then(
        (bytes) => {
          outcomes.push(text(bytes))
          res.end('ok')
        },
        (error: Error) => {
          outcomes.push(`rejected: ${error.message}`)
          res.destroy()
        },
      )
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    try {
      const whole = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'x'.repeat(900) })
      expect(await whole.text()).toBe('ok')
      await new Promise<void>((resolve) => {
        const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', headers: { 'content-length': '1000' } })
        req.on('error', () => resolve())
        req.write('only ten b')
        setTimeout(() => req.destroy(), 50)
      })
      for (let i = 0; i < 50 && outcomes.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20))
      expect(outcomes[0]).toBe('x'.repeat(900))
      expect(outcomes[1]).toMatch(/^rejected: /)
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})

describe('readLimitedBody on a Web stream', () => {
  it('collects the chunks, and past the limit answers null', async () => {
    const web = (parts: string[]) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const part of parts) controller.enqueue(new TextEncoder().encode(part))
          controller.close()
        },
      })
    expect(text(await readLimitedBody(web(['ab', 'cd']), 4))).toBe('abcd')
    expect(await readLimitedBody(web(['ab', 'cde']), 4)).toBeNull()
  })
})
