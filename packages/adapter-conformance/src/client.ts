/** One cookie as the test client keeps it. */
interface JarCookie {
  readonly value: string
  readonly path: string
  readonly httpOnly: boolean
  readonly attributes: string
}

/**
 * A cookie jar as small as a browser's rules for one host allow: stores `Set-Cookie` by name and
 * path (as a browser does: one name may live at two paths), deletes on `Max-Age=0`, and sends a
 * cookie only to paths under its `Path`, longer paths first. It ignores `Secure` (the suite talks
 * plain HTTP to 127.0.0.1, as a browser does for localhost).
 */
export class CookieJar {
  readonly #cookies = new Map<string, JarCookie & { readonly name: string }>()

  /** Takes in every `Set-Cookie` of a response. */
  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attrs] = header.split(';').map((part) => part.trim())
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq)
      const value = decodeURIComponent(pair.slice(eq + 1))
      const attr = (key: string) => attrs.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1)
      const path = attr('path') ?? '/'
      const key = `${name}\u0000${path}`
      const maxAge = attr('max-age')
      if (maxAge !== undefined && Number(maxAge) <= 0) {
        this.#cookies.delete(key)
        continue
      }
      const httpOnly = attrs.some((a) => a.toLowerCase() === 'httponly')
      this.#cookies.set(key, { name, value, path, httpOnly, attributes: attrs.join('; ') })
    }
  }

  /** The `Cookie` header for a request to `path`, or undefined when no cookie applies. */
  header(path: string): string | undefined {
    const applying = [...this.#cookies.values()]
      .filter((c) => c.path === '/' || path === c.path || path.startsWith(`${c.path}/`))
      .sort((a, b) => b.path.length - a.path.length)
    return applying.length > 0 ? applying.map((c) => `${c.name}=${encodeURIComponent(c.value)}`).join('; ') : undefined
  }

  /** The value of the cookie whose name ends with `suffix` (cookie names carry `__Host-`/`__Secure-`). */
  get(suffix: string): string | undefined {
    return this.find(suffix)?.[1].value
  }

  /** Name and attributes of the cookie whose name ends with `suffix`. */
  find(suffix: string): [string, JarCookie] | undefined {
    for (const cookie of this.#cookies.values()) if (cookie.name.endsWith(suffix)) return [cookie.name, cookie]
    return undefined
  }

  /** Replaces a cookie's value (a stolen or tampered cookie). */
  set(suffix: string, value: string): void {
    for (const [key, cookie] of this.#cookies) {
      if (cookie.name.endsWith(suffix)) {
        this.#cookies.set(key, { ...cookie, value })
        return
      }
    }
  }

  /** A copy: a second browser tab shares the jar, a thief takes a snapshot of it. */
  clone(): CookieJar {
    const copy = new CookieJar()
    for (const [key, cookie] of this.#cookies) copy.#cookies.set(key, cookie)
    return copy
  }

  get size(): number {
    return this.#cookies.size
  }
}

/** A response with its body read once (as text and, when it parses, JSON). */
export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  /** The JSON body, or undefined when the body is empty or not JSON. */
  readonly json: Record<string, unknown> | undefined
}

/** Options of one request of the test client. */
export interface SendOptions {
  readonly method?: string
  /** A JSON body (sent with `content-type: application/json`). */
  readonly json?: unknown
  /** A raw body with its own content type. */
  readonly body?: string | Uint8Array<ArrayBuffer>
  readonly contentType?: string
  readonly bearer?: string
  readonly headers?: Record<string, string>
  /** A cookie jar to send from and store into. */
  readonly jar?: CookieJar
}

/** Sends one request with global fetch and reads the whole reply. */
export async function send(baseUrl: string, path: string, options: SendOptions = {}): Promise<Reply> {
  const headers = new Headers(options.headers)
  let body: string | Uint8Array<ArrayBuffer> | undefined
  if (options.json !== undefined) {
    body = JSON.stringify(options.json)
    headers.set('content-type', 'application/json')
  } else if (options.body !== undefined) {
    body = options.body
    if (options.contentType !== undefined) headers.set('content-type', options.contentType)
  }
  if (options.bearer !== undefined) headers.set('authorization', `Bearer ${options.bearer}`)
  const cookie = options.jar?.header(path.split('?', 1)[0] ?? path)
  if (cookie !== undefined) headers.set('cookie', cookie)
  const response = await fetch(baseUrl + path, {
    method: options.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body === undefined ? {} : { body }),
    redirect: 'manual',
  })
  options.jar?.store(response)
  const text = await response.text()
  let json: Record<string, unknown> | undefined
  try {
    const parsed: unknown = JSON.parse(text)
    if (parsed !== null && typeof parsed === 'object') json = parsed as Record<string, unknown>
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json }
}
