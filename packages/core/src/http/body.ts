import { type Failure, failure } from '../errors/index.js'
import type { AuthRequest } from './types.js'

/** The default body limit: 16 KiB, far above any request our routes accept. */
export const DEFAULT_BODY_LIMIT = 16 * 1024

/** Longest string field we accept. Our tokens are well under 2 KiB; app claims make access tokens grow. */
export const MAX_FIELD_LENGTH = 8 * 1024

/**
 * A request body reduced to what the routes need: a field lookup. JSON objects and form
 * bodies look the same to the routes; only own properties are visible (never `__proto__`
 * or inherited names), and a form field given twice reads as an array (so it fails the
 * string check, as RFC 6749 §3.1 asks).
 */
export interface Body {
  readonly type: 'json' | 'form' | 'empty'
  field(name: string): unknown
}

export type BodyFailure = Failure<'ERR_BAD_REQUEST' | 'ERR_BODY_TOO_LARGE' | 'ERR_UNSUPPORTED_MEDIA_TYPE'>

const EMPTY: Body = { type: 'empty', field: () => undefined }

/** The media type of a `Content-Type` value, lower-cased, without parameters; null if absent. */
export function mediaType(contentType: string | null | undefined): string | null {
  if (!contentType) return null
  const type = contentType.split(';', 1)[0]?.trim().toLowerCase()
  return type ? type : null
}

type Kind = 'json' | 'form'

function kindOf(type: string | null): Kind | null {
  if (type === 'application/json') return 'json'
  if (type === 'application/x-www-form-urlencoded') return 'form'
  return null
}

/**
 * Reads and parses a request body: at most `limit` bytes (`ERR_BODY_TOO_LARGE`),
 * `application/json` or `application/x-www-form-urlencoded` only (`ERR_UNSUPPORTED_MEDIA_TYPE`),
 * a JSON root that is an object (`ERR_BAD_REQUEST` for garbage, arrays, invalid UTF-8…).
 * An empty body is fine whatever its type. Never throws for any input.
 */
export async function readBody(request: AuthRequest, limit: number): Promise<{ ok: true; body: Body } | BodyFailure> {
  const source = request.body
  const declared = mediaType(request.headers.get('content-type'))
  const kind = kindOf(declared)
  switch (source.kind) {
    case 'none':
      return { ok: true, body: EMPTY }
    case 'raw': {
      let bytes: Uint8Array | null
      try {
        bytes = await source.read(limit)
      } catch {
        // The client went away mid-body, or the stream broke: its fault, not ours.
        return failure('ERR_BAD_REQUEST', 'the body could not be read')
      }
      if (bytes === null) return tooLarge(limit)
      return parseBytes(bytes, kind, declared)
    }
    case 'parsed':
      return fromParsed(source.value, kind, declared, limit)
    default: {
      const _never: never = source
      return _never
    }
  }
}

function fromParsed(value: unknown, kind: Kind | null, declared: string | null, limit: number) {
  if (value === undefined || value === null) return { ok: true as const, body: EMPTY }
  const encoder = new TextEncoder()
  if (value instanceof Uint8Array || typeof value === 'string') {
    const bytes = typeof value === 'string' ? encoder.encode(value) : value
    if (bytes.byteLength > limit) return tooLarge(limit)
    return parseBytes(bytes, kind, declared)
  }
  // The framework parsed it; still refuse what we would have refused raw.
  if (declared !== null && kind === null) return unsupported(declared)
  if (typeof value !== 'object' || Array.isArray(value)) {
    return failure('ERR_BAD_REQUEST', 'the body must be a JSON object or a form')
  }
  return { ok: true as const, body: objectBody(value as object, kind ?? 'json') }
}

const decoder = new TextDecoder('utf-8', { fatal: true })

function parseBytes(
  bytes: Uint8Array,
  kind: Kind | null,
  declared: string | null,
): { ok: true; body: Body } | BodyFailure {
  if (bytes.byteLength === 0) return { ok: true, body: EMPTY }
  if (kind === null) return unsupported(declared)
  let text: string
  try {
    text = decoder.decode(bytes)
  } catch {
    return failure('ERR_BAD_REQUEST', 'the body is not valid UTF-8')
  }
  if (kind === 'form') return { ok: true, body: formBody(new URLSearchParams(text)) }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return failure('ERR_BAD_REQUEST', 'the body is not valid JSON')
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return failure('ERR_BAD_REQUEST', 'the JSON body must be an object')
  }
  if (repeatsTopLevelName(text)) return failure('ERR_BAD_REQUEST', 'the JSON body names a member twice')
  return { ok: true, body: objectBody(value, 'json') }
}

/**
 * Whether the top-level object of `text` (JSON that already parsed) names a member twice, escapes
 * decoded (`"a"` and `"\u0061"` are one name). JSON.parse keeps the last one while a proxy or a
 * firewall may read the first, so a repeated member is refused, as a repeated form field is
 * (RFC 6749 §3.1). A body the framework parsed before us cannot be checked.
 */
function repeatsTopLevelName(text: string): boolean {
  const seen = new Set<string>()
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '"') {
      let end = i + 1
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1
      let next = end + 1
      while (text[next] === ' ' || text[next] === '\t' || text[next] === '\n' || text[next] === '\r') next++
      if (depth === 1 && text[next] === ':') {
        const name = JSON.parse(text.slice(i, end + 1)) as string
        if (seen.has(name)) return true
        seen.add(name)
      }
      i = end
    } else if (c === '{' || c === '[') {
      depth++
    } else if (c === '}' || c === ']') {
      depth--
    }
  }
  return false
}

function objectBody(value: object, type: Kind): Body {
  return {
    type,
    field: (name) => (Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined),
  }
}

function formBody(params: URLSearchParams): Body {
  return {
    type: 'form',
    field(name) {
      const all = params.getAll(name)
      return all.length === 0 ? undefined : all.length === 1 ? all[0] : all
    },
  }
}

function unsupported(declared: string | null): BodyFailure {
  return failure(
    'ERR_UNSUPPORTED_MEDIA_TYPE',
    `${declared === null ? 'a body without a content type' : 'this content type'} is not accepted; send application/json or application/x-www-form-urlencoded`,
  )
}

function tooLarge(limit: number): BodyFailure {
  return failure('ERR_BODY_TOO_LARGE', `the body is larger than ${limit} bytes`)
}

/**
 * Reads an optional string field: absent -> undefined; a string of 1..`max` characters -> it;
 * anything else (number, object, array, a repeated form field, empty, too long) -> `ERR_BAD_REQUEST`.
 */
export function stringField(
  body: Body,
  name: string,
  max = MAX_FIELD_LENGTH,
): { ok: true; value: string | undefined } | Failure<'ERR_BAD_REQUEST'> {
  const value = body.field(name)
  if (value === undefined) return { ok: true, value: undefined }
  if (typeof value !== 'string') return failure('ERR_BAD_REQUEST', `${name} must be a single string`)
  if (value.length === 0 || value.length > max) {
    return failure('ERR_BAD_REQUEST', `${name} must be between 1 and ${max} characters`)
  }
  return { ok: true, value }
}

/**
 * The body a guard may look at without consuming anything: only one the framework already
 * parsed into an object. A raw stream is left for the app's handler.
 */
export function peekParsedBody(request: AuthRequest): Body | null {
  const source = request.body
  if (source.kind !== 'parsed') return null
  const value = source.value
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) return null
  return objectBody(value, 'json')
}
