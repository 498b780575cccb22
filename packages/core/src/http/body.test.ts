import { describe, expect, it } from 'vitest'
import { type Body, peekParsedBody, readBody, stringField } from './body.js'
import type { AuthRequest, RequestBody } from './types.js'

const LIMIT = 1024
const encoder = new TextEncoder()

function request(body: RequestBody, contentType?: string): AuthRequest {
  const headers = new Map<string, string>(contentType === undefined ? [] : [['content-type', contentType]])
  return { method: 'POST', path: '/auth/refresh', headers: { get: (n) => headers.get(n.toLowerCase()) }, body }
}

function raw(text: string | Uint8Array): RequestBody {
  const bytes = typeof text === 'string' ? encoder.encode(text) : text
  return { kind: 'raw', read: async (limit) => (bytes.byteLength > limit ? null : bytes) }
}

async function ok(req: AuthRequest): Promise<Body> {
  const result = await readBody(req, LIMIT)
  if (!result.ok) throw new Error(`expected a body, got ${result.code}`)
  return result.body
}

describe('readBody', () => {
  it('parses JSON and form bodies into the same field lookup', async () => {
    const json = await ok(request(raw('{"refresh_token":"abc","n":1}'), 'application/json; charset=utf-8'))
    expect([json.type, json.field('refresh_token'), json.field('n')]).toEqual(['json', 'abc', 1])
    const form = await ok(
      request(raw('grant_type=refresh_token&refresh_token=a%2Bb'), 'application/x-www-form-urlencoded'),
    )
    expect([form.type, form.field('grant_type'), form.field('refresh_token')]).toEqual(['form', 'refresh_token', 'a+b'])
  })

  it('refuses a JSON body that names a top-level member twice (escaped or not); nested repeats are fine', async () => {
    for (const text of [
      '{"refresh_token":"a","refresh_token":"b"}',
      '{"refresh_token":"a", "refresh\\u005ftoken" :"b"}',
      `{"a":1,"a"${' '.repeat(100)}:2}`,
    ]) {
      expect(await readBody(request(raw(text), 'application/json'), LIMIT)).toMatchObject({ code: 'ERR_BAD_REQUEST' })
    }
    const nested = await ok(
      request(raw('{"a":{"x":1,"x":2},"b":[{"x":1},{"x":2}],"c":"\\"a\\":"}'), 'application/json'),
    )
    expect(nested.field('b')).toEqual([{ x: 1 }, { x: 2 }])
  })

  it('refuses a body over the limit with ERR_BODY_TOO_LARGE', async () => {
    const result = await readBody(request(raw(`{"a":"${'x'.repeat(LIMIT)}"}`), 'application/json'), LIMIT)
    expect(result).toMatchObject({ ok: false, code: 'ERR_BODY_TOO_LARGE' })
    const parsed = await readBody(request({ kind: 'parsed', value: 'x'.repeat(LIMIT + 1) }, 'application/json'), LIMIT)
    expect(parsed).toMatchObject({ code: 'ERR_BODY_TOO_LARGE' })
  })

  it('refuses other content types with ERR_UNSUPPORTED_MEDIA_TYPE', async () => {
    for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/jsonx', 'application/xml']) {
      expect(await readBody(request(raw('{"a":1}'), type), LIMIT)).toMatchObject({ code: 'ERR_UNSUPPORTED_MEDIA_TYPE' })
    }
    expect(await readBody(request(raw('{"a":1}')), LIMIT)).toMatchObject({ code: 'ERR_UNSUPPORTED_MEDIA_TYPE' })
    const parsed = await readBody(request({ kind: 'parsed', value: { a: 1 } }, 'text/plain'), LIMIT)
    expect(parsed).toMatchObject({ code: 'ERR_UNSUPPORTED_MEDIA_TYPE' })
  })

  it('accepts an empty body whatever its type', async () => {
    expect((await ok(request(raw(''), 'text/plain'))).type).toBe('empty')
    expect((await ok(request({ kind: 'none' }))).field('x')).toBeUndefined()
    expect((await ok(request({ kind: 'parsed', value: undefined }))).type).toBe('empty')
  })

  it('refuses garbage, non-object roots and invalid UTF-8 with ERR_BAD_REQUEST', async () => {
    const bodies: (string | Uint8Array)[] = [
      '{',
      '{"a":}',
      'null',
      '[]',
      '"str"',
      '42',
      'true',
      new Uint8Array([0x7b, 0xff, 0x7d]),
    ]
    for (const text of bodies) {
      expect(await readBody(request(raw(text), 'application/json'), LIMIT)).toMatchObject({ code: 'ERR_BAD_REQUEST' })
    }
    for (const value of [[1], 42, true]) {
      expect(await readBody(request({ kind: 'parsed', value }), LIMIT)).toMatchObject({ code: 'ERR_BAD_REQUEST' })
    }
  })

  it('reports a body stream that breaks as a bad request, not a crash', async () => {
    const broken: RequestBody = {
      kind: 'raw',
      read: async () => {
        throw new Error('aborted')
      },
    }
    expect(await readBody(request(broken, 'application/json'), LIMIT)).toMatchObject({ code: 'ERR_BAD_REQUEST' })
  })

  it('is not hurt by deep nesting or __proto__', async () => {
    const deep = `{"a":${'['.repeat(400)}${']'.repeat(400)},"refresh_token":"t"}`
    expect((await ok(request(raw(deep), 'application/json'))).field('refresh_token')).toBe('t')
    const proto = await ok(request(raw('{"__proto__":{"refresh_token":"evil"}}'), 'application/json'))
    expect(proto.field('refresh_token')).toBeUndefined()
    expect(proto.field('toString')).toBeUndefined()
    const nested = await readBody(request(raw('['.repeat(LIMIT - 1)), 'application/json'), LIMIT)
    expect(nested).toMatchObject({ code: 'ERR_BAD_REQUEST' })
  })

  it('treats parsed bytes and strings like raw ones', async () => {
    const bytes = await ok(request({ kind: 'parsed', value: encoder.encode('{"a":"b"}') }, 'application/json'))
    expect(bytes.field('a')).toBe('b')
    const text = await ok(request({ kind: 'parsed', value: 'token=x' }, 'application/x-www-form-urlencoded'))
    expect(text.field('token')).toBe('x')
  })
})

describe('stringField', () => {
  it('accepts one bounded string and refuses everything else', async () => {
    const body = await ok(request(raw('{"s":"ok","n":1,"o":{},"a":["x"],"e":"","l":"xxxxx"}'), 'application/json'))
    expect(stringField(body, 's')).toEqual({ ok: true, value: 'ok' })
    expect(stringField(body, 'missing')).toEqual({ ok: true, value: undefined })
    for (const name of ['n', 'o', 'a', 'e']) expect(stringField(body, name)).toMatchObject({ code: 'ERR_BAD_REQUEST' })
    expect(stringField(body, 'l', 4)).toMatchObject({ code: 'ERR_BAD_REQUEST' })
  })

  it('refuses a form parameter given twice (RFC 6749 §3.1)', async () => {
    const body = await ok(request(raw('refresh_token=a&refresh_token=b'), 'application/x-www-form-urlencoded'))
    expect(stringField(body, 'refresh_token')).toMatchObject({ code: 'ERR_BAD_REQUEST' })
  })
})

describe('peekParsedBody', () => {
  it('only looks at an object the framework parsed, never at a raw stream', () => {
    expect(peekParsedBody(request(raw('{"access_token":"x"}'), 'application/json'))).toBeNull()
    expect(peekParsedBody(request({ kind: 'parsed', value: { access_token: 'x' } }))?.field('access_token')).toBe('x')
    expect(peekParsedBody(request({ kind: 'parsed', value: ['x'] }))).toBeNull()
  })
})
