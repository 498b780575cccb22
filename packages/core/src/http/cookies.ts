import { parseCookie, type SetCookie, stringifySetCookie } from 'cookie'
import { AuthError } from '../errors/index.js'
import { assertKnownOptions } from '../errors/options.js'

/** A SameSite value. */
export type SameSite = 'lax' | 'strict' | 'none'

/** Cookie settings as the user writes them (see `AuthHttpOptions.cookies`). */
export interface AuthHttpCookieOptions {
  /**
   * Send cookies only over HTTPS (`Secure`). Default `true`. Setting `false` (plain-HTTP
   * development on `http://127.0.0.1`) also needs `dangerouslyAllowInsecureCookies: true`,
   * and drops the `__Host-`/`__Secure-` name prefixes, which browsers only accept with `Secure`.
   */
  readonly secure?: boolean
  /** The explicit opt-in that `secure: false` requires. Never set it in production. */
  readonly dangerouslyAllowInsecureCookies?: boolean
  /**
   * `SameSite` of the access and CSRF cookies. Default `'lax'`: a cross-site POST, fetch or
   * iframe never carries them, while a top-level link into the app still does (the app's pages
   * render logged in). `'none'` (an API on another site) requires `secure`.
   */
  readonly sameSite?: SameSite
  /**
   * `SameSite` of the refresh cookie. Default `'strict'`: only the app's own scripts ever call
   * the refresh route, never a navigation, so `Strict` costs nothing and means no other site
   * can ever make the browser send it.
   */
  readonly refreshSameSite?: SameSite
  /**
   * `Domain` attribute, to share the cookies with subdomains. Default: none (host-only).
   * With a domain the access and CSRF cookies cannot use the `__Host-` prefix (it forbids
   * `Domain`) and fall back to `__Secure-`; subdomains can then also overwrite them.
   */
  readonly domain?: string
  /**
   * Base cookie names; the `__Host-`/`__Secure-` prefix is added for you (do not include it).
   * Defaults: `access_token`, `refresh_token`, `csrf_token`.
   */
  readonly names?: { readonly access?: string; readonly refresh?: string; readonly csrf?: string }
}

/** One cookie's resolved name and attributes (everything but value and Max-Age). */
export interface CookieSpec {
  readonly name: string
  readonly path: string
  readonly httpOnly: boolean
  readonly secure: boolean
  readonly sameSite: SameSite
  readonly domain: string | undefined
}

/** The three cookies of cookie mode. */
export interface CookieSet {
  /** The access token: HttpOnly, `Path=/`, `__Host-` when secure and host-only. */
  readonly access: CookieSpec
  /**
   * The refresh token: HttpOnly, `Path={prefix}` (the refresh and logout routes need it; the other
   * routes under the prefix ignore it, and it never reaches the app's own routes), so `__Secure-`
   * (`__Host-` needs `Path=/`).
   */
  readonly refresh: CookieSpec
  /** Where earlier versions kept the refresh cookie (`{prefix}/refresh`): cleared on every cookie response. */
  readonly legacyRefresh: CookieSpec
  /** The CSRF token: readable by the page's JavaScript (not HttpOnly), `Path=/`. */
  readonly csrf: CookieSpec
}

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const DOMAIN = /^\.?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/
const SAME_SITE: readonly SameSite[] = ['lax', 'strict', 'none']

/**
 * Validates cookie options and resolves the three cookies. `prefix` is the routes' prefix (the
 * refresh cookie's path). Throws (through `bad`) naming the field for anything invalid.
 */
export function resolveCookies(
  input: AuthHttpCookieOptions | undefined,
  prefix: string,
  bad: (message: string) => never,
): CookieSet {
  const options = input ?? {}
  if (options === null || typeof options !== 'object') bad('cookies must be an object')
  assertKnownOptions('createAuthHttp: cookies', options, [
    'secure',
    'dangerouslyAllowInsecureCookies',
    'sameSite',
    'refreshSameSite',
    'domain',
    'names',
  ] satisfies (keyof AuthHttpCookieOptions)[])
  const secure = options.secure ?? true
  if (typeof secure !== 'boolean') bad('cookies.secure must be a boolean')
  if (!secure && options.dangerouslyAllowInsecureCookies !== true) {
    bad('cookies.secure: false sends tokens over plain HTTP; also set cookies.dangerouslyAllowInsecureCookies: true')
  }
  const sameSite = options.sameSite ?? 'lax'
  const refreshSameSite = options.refreshSameSite ?? 'strict'
  for (const [field, value] of [
    ['sameSite', sameSite],
    ['refreshSameSite', refreshSameSite],
  ] as const) {
    if (!SAME_SITE.includes(value)) bad(`cookies.${field} must be one of ${SAME_SITE.join(', ')}`)
    if (value === 'none' && !secure) bad(`cookies.${field}: 'none' requires secure cookies (browsers refuse it)`)
  }
  const domain = options.domain
  if (domain !== undefined && (typeof domain !== 'string' || domain.length > 253 || !DOMAIN.test(domain))) {
    bad('cookies.domain must be a host name such as example.com')
  }
  const names = { access: 'access_token', refresh: 'refresh_token', csrf: 'csrf_token', ...options.names }
  for (const [field, name] of Object.entries(names)) {
    if (typeof name !== 'string' || name.length > 64 || !COOKIE_NAME.test(name)) {
      bad(`cookies.names.${field} must be a cookie name token (RFC 6265)`)
    }
    if (name.startsWith('__')) {
      bad(`cookies.names.${field}: give the base name; the __Host-/__Secure- prefix is added for you`)
    }
  }
  if (new Set(Object.values(names)).size !== 3) bad('cookies.names must be three different names')

  // __Host- requires Secure, Path=/ and no Domain (RFC 6265bis §4.1.3.2); __Secure- only Secure.
  const rootPrefix = !secure ? '' : domain === undefined ? '__Host-' : '__Secure-'
  const common = { secure, domain }
  const refreshName = (secure ? '__Secure-' : '') + names.refresh
  return {
    access: { ...common, name: rootPrefix + names.access, path: '/', httpOnly: true, sameSite },
    refresh: {
      ...common,
      name: refreshName,
      path: prefix === '' ? '/' : prefix,
      httpOnly: true,
      sameSite: refreshSameSite,
    },
    legacyRefresh: {
      ...common,
      name: refreshName,
      path: `${prefix}/refresh`,
      httpOnly: true,
      sameSite: refreshSameSite,
    },
    csrf: { ...common, name: rootPrefix + names.csrf, path: '/', httpOnly: false, sameSite },
  }
}

/** Serialises a `Set-Cookie` value for `spec` with `value`, living `maxAge` seconds (0 deletes it). */
export function setCookie(spec: CookieSpec, value: string, maxAge: number | null): string {
  const cookie: SetCookie = {
    name: spec.name,
    value,
    path: spec.path,
    httpOnly: spec.httpOnly,
    secure: spec.secure,
    sameSite: spec.sameSite,
  }
  // null: a session cookie (no Max-Age), which the browser drops when it closes.
  if (maxAge !== null) cookie.maxAge = Math.max(0, Math.floor(maxAge))
  if (spec.domain !== undefined) cookie.domain = spec.domain
  return stringifySetCookie(cookie)
}

/** `Set-Cookie` values that delete all three cookies (same name, path and domain, `Max-Age=0`). */
export function clearCookies(cookies: CookieSet): string[] {
  return [
    setCookie(cookies.access, '', 0),
    setCookie(cookies.refresh, '', 0),
    setCookie(cookies.csrf, '', 0),
    setCookie(cookies.legacyRefresh, '', 0),
  ]
}

/** Longest `Cookie` header we parse; browsers cap a cookie at 4 KiB and servers the header block at 8-16 KiB. */
const MAX_COOKIE_HEADER = 16 * 1024

/**
 * Parses a `Cookie` header into a name -> value lookup (the first cookie of a name wins).
 * A header over 16 KiB is treated as carrying no cookies.
 */
export function readCookies(header: string | null | undefined): RequestCookies {
  const cookies = new Map<string, string>() as Map<string, string> & { duplicates: ReadonlySet<string> }
  cookies.duplicates = NO_DUPLICATES
  if (!header || header.length > MAX_COOKIE_HEADER) return cookies
  const parsed = parseCookie(header)
  for (const name of Object.keys(parsed)) {
    const value = parsed[name]
    if (value !== undefined) cookies.set(name, value)
  }
  // The parser keeps the first of two cookies with one name; which one a browser sends first is
  // not ours to choose (a sibling subdomain can plant one), so duplicates are reported instead.
  let seen: Set<string> | undefined
  let duplicates: Set<string> | undefined
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=')
    const name = (eq < 0 ? pair : pair.slice(0, eq)).trim()
    if (name === '') continue
    seen ??= new Set()
    if (!seen.has(name)) {
      seen.add(name)
      continue
    }
    duplicates ??= new Set()
    duplicates.add(name)
  }
  if (duplicates !== undefined) cookies.duplicates = duplicates
  return cookies
}

const NO_DUPLICATES: ReadonlySet<string> = new Set()

/** The cookies of a request, first value per name, and the names that came more than once. */
export type RequestCookies = ReadonlyMap<string, string> & { readonly duplicates: ReadonlySet<string> }

/** Hosts where browsers keep `Secure` cookies over plain http: localhost and loopback addresses. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '')
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host)
}

/**
 * The error for a request that would get `Secure` cookies over plain http, which browsers drop
 * (the login would look like it worked and every next request would be logged out), or null.
 * Loopback hosts are exempt (browsers keep Secure cookies there), and so is a request whose
 * protocol the adapter could not tell.
 */
export function httpsRequired(
  spec: { readonly secure: boolean },
  request: { readonly protocol?: 'http' | 'https' | undefined; readonly hostname?: string | undefined },
): AuthError | null {
  if (!spec.secure || request.protocol !== 'http') return null
  const host = request.hostname ?? ''
  if (isLoopbackHost(host)) return null
  return new AuthError(
    'ERR_HTTPS_REQUIRED',
    `cookie transport: a request came over plain http to ${JSON.stringify(host)}, where browsers drop Secure cookies; serve it over https (behind a TLS proxy, turn on the framework's trust-proxy setting: app.set('trust proxy', …), Fastify({ trustProxy }), or the Hono adapter's trustProxy), use http://localhost in development, or set cookies: { secure: false, dangerouslyAllowInsecureCookies: true }`,
  )
}
