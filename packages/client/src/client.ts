import type { DpopSigner } from './dpop.js'

/** How the client holds its credentials: HttpOnly cookies (browsers) or tokens in its storage. */
export type ClientTransport = 'cookie' | 'bearer'

/** Why a session ended, from the server's answer (or this client's own logout). */
export type SignOutReason = 'logout' | 'logout_all' | 'reuse_detected' | 'expired' | 'revoked'

/** What the client tells its listeners, in every tab. */
export type AuthClientEvent =
  | { readonly type: 'signed_in' }
  | { readonly type: 'refreshed' }
  | { readonly type: 'signed_out'; readonly reason: SignOutReason }

/** The session as the client holds it. Bearer tokens only in bearer transport. */
export interface ClientSession {
  readonly accessToken?: string
  readonly refreshToken?: string
  readonly csrfToken?: string
  /** When to refresh, epoch ms: when the answer was received + `expires_in` − the margin. */
  readonly dueAt: number
}

/** Where a bearer session is kept. Memory by default; persist only knowing that XSS can then read it. */
export interface SessionStorage {
  get(): ClientSession | null | Promise<ClientSession | null>
  set(session: ClientSession | null): void | Promise<void>
}

/** A refresh as a value: network failures are retryable and never sign the user out. */
export type RefreshOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'signed_out'; readonly reason: SignOutReason }
  | { readonly ok: false; readonly code: 'network'; readonly retryable: true }
  | { readonly ok: false; readonly code: 'not_signed_in' }

/** Options of {@link createAuthClient}. */
export interface AuthClientOptions {
  /** The auth server's origin, e.g. `https://app.example.com`. */
  readonly baseUrl: string
  /** The routes' prefix. Default `'/auth'`. */
  readonly prefix?: string
  /** Default `'cookie'`. */
  readonly transport?: ClientTransport
  /** Other origins (APIs) that get the credentials too; any other URL goes out untouched. */
  readonly resourceOrigins?: readonly string[]
  /** Refresh this many seconds before the access token expires. Default 30 (at most half its life). */
  readonly refreshMargin?: number
  /**
   * Where the session is kept. Bearer default: memory (persist only knowing that XSS can read it).
   * Cookie default: `localStorage` where there is one, holding only the CSRF value and the due
   * time (the tokens are HttpOnly cookies), so a reloaded tab knows its session.
   */
  readonly storage?: SessionStorage
  /**
   * Tabs share refreshes and sign-outs over this BroadcastChannel (or the `storage` event where
   * there is none). Default `'auth-client'`; false: none.
   */
  readonly channel?: string | false
  /** The `fetch` to use. Default `globalThis.fetch`. */
  readonly fetch?: typeof fetch
  /** Epoch ms. Default `Date.now`. */
  readonly now?: () => number
  /**
   * For `graceBinding: 'device_id'`: send one `x-device-id` with every refresh, the same in every
   * tab, kept in this store (default: `localStorage` where there is one, else memory). Off unless set.
   */
  readonly deviceId?: true | { get(): string | null; set(id: string): void }
  /**
   * Bearer transport only: DPoP (RFC 9449) with this signer (`createDpopSigner` from
   * `@auth/client/dpop`). Every refresh and every request to an allowed origin then carries a
   * proof by the key, and tokens stolen without it are worth nothing.
   */
  readonly dpop?: DpopSigner
}

/** The client: `fetch` with credentials, single-flight refresh, and the session's events. */
export interface AuthClient {
  /** `fetch` that adds the credentials for allowed origins and refreshes once on an expired token. */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>
  /**
   * Headers for the app's login request to `url` (POST): with DPoP, a new key and its proof
   * (`{ dpop }`); otherwise none.
   */
  loginHeaders(url: string): Promise<Record<string, string>>
  /** Adopts the body of a login response (the app's login route answers with ours). */
  signedIn(body: unknown): Promise<void>
  /** Refreshes now (one at a time per tab: concurrent callers share it). */
  refresh(): Promise<RefreshOutcome>
  /** Ends this session on the server and in every tab. */
  logout(): Promise<void>
  /** Ends every session of the user. */
  logoutAll(): Promise<void>
  /** Whether the client holds a session. */
  signedInNow(): boolean
  /** Listens to `signed_in`, `refreshed` and `signed_out`; returns the unsubscribe. */
  on(listener: (event: AuthClientEvent) => void): () => void
  /**
   * Re-checks the due time now and refreshes if it has passed: what the client does by itself on
   * `visibilitychange`, `online` and `focus`. Outside a browser, call it when the app comes back
   * (React Native: `AppState` turning `'active'`).
   */
  wake(): void
  /** Stops listening to other tabs and the page's lifecycle. */
  close(): void
}

const UNSAFE = /^(?!GET$|HEAD$|OPTIONS$|TRACE$)/i

/** Server codes that end the session, and why. */
function reasonOf(body: { code?: unknown; revocation_reason?: unknown } | null): SignOutReason | null {
  const code = body?.code
  if (code === 'ERR_REFRESH_TOKEN_REUSED') return 'reuse_detected'
  if (code === 'ERR_REFRESH_TOKEN_REVOKED') {
    const why = body?.revocation_reason
    return why === 'logout' || why === 'logout_all' || why === 'reuse_detected' || why === 'expired' ? why : 'revoked'
  }
  if (typeof code === 'string' && code.startsWith('ERR_REFRESH_TOKEN_')) return 'expired'
  return null
}

/** A refresh answer as read off the wire, shared by every client of one tab that asked for it. */
type Answer =
  | { readonly ok: true; readonly status: number; readonly body: Record<string, unknown> | null; readonly at: number }
  | { readonly ok: false }

/**
 * The refreshes in flight in this tab (this JavaScript realm), by server: two clients of one
 * server in one tab (React Strict Mode mounts twice) share one request, not only one client's
 * callers.
 */
const flights = new Map<string, Promise<Answer>>()

const NETWORK: RefreshOutcome = { ok: false, code: 'network', retryable: true }
/** Another tab holds the refresh lock (internal: never returned by `refresh()`). */
const BUSY: RefreshOutcome = { ok: false, code: 'network', retryable: true }

type Listener = (data: unknown) => void

/** Messages to the other tabs: a BroadcastChannel, else the `storage` event of `localStorage`. */
function tabChannel(name: string | false): { post(data: unknown): void; close(): void; on(fn: Listener): void } {
  const none = { post() {}, close() {}, on() {} }
  if (name === false) return none
  if (typeof BroadcastChannel === 'function') {
    const bc = new BroadcastChannel(name)
    return {
      post: (data) => bc.postMessage(data),
      close: () => bc.close(),
      on: (fn) => bc.addEventListener('message', (event) => fn((event as MessageEvent).data)),
    }
  }
  const ls = local()
  const target = globalThis as unknown as EventTarget
  if (ls === null || typeof target.addEventListener !== 'function') return none
  const key = `auth-client:msg:${name}`
  let handler: ((event: Event) => void) | null = null
  return {
    // A nonce makes every message a change, so the event fires for repeated ones too.
    post: (data) => ls.setItem(key, JSON.stringify({ data, nonce: Math.random() })),
    close: () => handler !== null && target.removeEventListener('storage', handler),
    on: (fn) => {
      handler = (event) => {
        const { key: changed, newValue } = event as StorageEvent
        if (changed === key && newValue !== null) fn((JSON.parse(newValue) as { data: unknown }).data)
      }
      target.addEventListener('storage', handler)
    },
  }
}

/** `localStorage`, where the runtime has one (and it can be used). */
function local(): Storage | null {
  try {
    return (globalThis as { localStorage?: Storage }).localStorage ?? null
  } catch {
    return null // a sandboxed frame or storage turned off
  }
}

/** The CSRF cookie's value, when the page can read one (a login made without this client). */
function csrfCookie(): string | null {
  const doc = (globalThis as { document?: { cookie?: string } }).document
  const match = /(?:^|;\s*)(?:__Host-|__Secure-)?csrf_token=([^;]+)/.exec(doc?.cookie ?? '')
  return match?.[1] === undefined ? null : decodeURIComponent(match[1])
}

/**
 * Creates the client half of the refresh flow. Nothing ever waits on a lock: inside the server's
 * grace window a concurrent refresh of the same generation gets the identical successor, so two
 * tabs (or two clients in one tab) refreshing at once is harmless. In cookie mode one tab at a
 * time refreshes, under a Web Lock taken only if free (see below), because the shared cookie jar
 * could otherwise chain two rotations inside one window.
 */
export function createAuthClient(options: AuthClientOptions): AuthClient {
  const base = new URL(options.baseUrl)
  const prefix = options.prefix ?? '/auth'
  const transport = options.transport ?? 'cookie'
  const allowed = new Set([base.origin, ...(options.resourceOrigins ?? []).map((o) => new URL(o).origin)])
  const margin = (options.refreshMargin ?? 30) * 1000
  const now = options.now ?? Date.now
  const send = options.fetch ?? globalThis.fetch.bind(globalThis)
  const flightKey = `${base.origin}${prefix}|${transport}`
  let memory: ClientSession | null = null
  const ls = transport === 'cookie' ? local() : null
  const sessionKey = `auth-client:session:${flightKey}`
  const storage: SessionStorage = options.storage ?? {
    get: () => {
      if (ls === null) return memory
      try {
        return JSON.parse(ls.getItem(sessionKey) ?? 'null') as ClientSession | null
      } catch {
        return null // not ours, or torn: no session, the CSRF cookie can still bring it back
      }
    },
    set: (s) => {
      memory = s
      if (ls !== null) s === null ? ls.removeItem(sessionKey) : ls.setItem(sessionKey, JSON.stringify(s))
    },
  }
  // Cookie mode: tabs share one cookie jar, which the browser updates when a refresh answer
  // arrives, before that tab's script knows. A tab refreshing just after would present the new
  // generation and rotate the family again, and a slow request still carrying the one before would
  // then be two generations behind: reuse. So one tab at a time refreshes, under a Web Lock taken
  // only if free: nobody ever waits for the lock, the browser drops it with a tab that closes or
  // reloads, and a tab that finds it taken lets its still-valid token be (a due refresh) or waits
  // at most `lease` for the other tab's answer (a needed one), then refreshes anyway.
  const lockName = `auth-client:${flightKey}`
  const lease = Math.min(10_000, margin)
  const locks = transport === 'cookie' ? (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks : null
  /** The next message from another tab (or nothing after `ms`). */
  const waiters = new Set<() => void>()
  const heard = (ms: number) =>
    new Promise<void>((resolve) => {
      waiters.add(resolve)
      setTimeout(resolve, ms)
    })
  const listeners = new Set<(event: AuthClientEvent) => void>()
  const emit = (event: AuthClientEvent) => {
    for (const listener of listeners) listener(event)
  }
  // The commit guard: every sign-out moves the epoch; a refresh commits only in its own epoch.
  let epoch = 0
  let session: ClientSession | null = null
  let loaded: Promise<void> | null = null
  let inFlight: Promise<RefreshOutcome> | null = null
  const bc = tabChannel(options.channel ?? 'auth-client')

  const dpop = transport === 'bearer' ? options.dpop : undefined
  /** Keeps a server's DPoP nonce for the next proofs; whether it sent one. */
  const nonced = (response: Response) => {
    const value = response.headers.get('dpop-nonce')
    if (value !== null) dpop?.nonce(value, response.url || undefined)
    return value !== null
  }
  // One device id per origin, shared by the tabs, so a replay from another tab matches the binding.
  const deviceStore =
    options.deviceId === undefined ? null : options.deviceId === true ? localDeviceStore() : options.deviceId
  const deviceId = (): string | null => {
    if (deviceStore === null) return null
    let id = deviceStore.get()
    if (id === null) {
      id = crypto.randomUUID()
      deviceStore.set(id)
    }
    return id
  }

  const load = () => {
    loaded ??= Promise.resolve(storage.get()).then((s) => {
      // Cookie mode with nothing stored but a CSRF cookie to read (a login made by a form post, or
      // storage cleared): a session whose due time is now, so the first request refreshes.
      const cookie = transport === 'cookie' && s === null ? csrfCookie() : null
      session ??= s ?? (cookie === null ? null : { csrfToken: cookie, dueAt: 0 })
    })
    return loaded
  }
  const url = (route: string) => new URL(`${prefix}${route}`, base).href

  /** Holds `body` (a login or refresh answer) as the session. */
  const adopt = async (body: Record<string, unknown>, receivedAt: number) => {
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in * 1000 : 0
    session = {
      ...(typeof body.access_token === 'string' ? { accessToken: body.access_token } : {}),
      ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
      ...(typeof body.csrf_token === 'string' ? { csrfToken: body.csrf_token } : {}),
      dueAt: receivedAt + expiresIn - Math.min(margin, expiresIn / 2),
    }
    // Cookie mode keeps nothing but the CSRF value the server gave (the tokens are HttpOnly cookies).
    await storage.set(session)
  }

  let lastReason: SignOutReason = 'logout'
  const signOut = async (reason: SignOutReason, broadcast: boolean) => {
    lastReason = reason
    const had = session !== null
    epoch++
    session = null
    await storage.set(null)
    if (broadcast) bc.post({ type: 'signed_out', reason })
    if (had) emit({ type: 'signed_out', reason })
  }

  /** POSTs the refresh, or joins the one another client of this tab has in flight. */
  const post = (held: ClientSession): { answer: Promise<Answer>; owner: boolean } => {
    const joined = flights.get(flightKey)
    if (joined !== undefined) return { answer: joined, owner: false }
    const answer = (async (): Promise<Answer> => {
      try {
        const target = url('/refresh')
        let response: Response
        let body: Record<string, unknown> | null
        // A server asking for a DPoP nonce gets one more try with it.
        for (let tries = 0; ; tries++) {
          response = await send(target, {
            method: 'POST',
            credentials: transport === 'cookie' ? 'include' : 'omit',
            headers: {
              ...(transport === 'cookie'
                ? { 'x-csrf-token': held.csrfToken ?? '' }
                : { 'content-type': 'application/json' }),
              ...(deviceStore === null ? {} : { 'x-device-id': deviceId() as string }),
              ...(dpop === undefined ? {} : { dpop: await dpop.proof('POST', target) }),
            },
            ...(transport === 'bearer' ? { body: JSON.stringify({ refresh_token: held.refreshToken }) } : {}),
          })
          body = (await response.json().catch(() => null)) as Record<string, unknown> | null
          if (!(nonced(response) && body?.error === 'use_dpop_nonce' && tries === 0)) break
        }
        return { ok: true, status: response.status, body, at: now() }
      } catch {
        return { ok: false }
      }
    })().finally(() => flights.delete(flightKey))
    flights.set(flightKey, answer)
    return { answer, owner: true }
  }

  /** The refresh itself (under the lock in cookie mode). */
  const commit = async (): Promise<RefreshOutcome> => {
    // Another tab may have refreshed before its message arrived here: shared storage says so, and
    // its session serves this tab too (its request would have rotated the family once more).
    const stored = session === null ? null : await storage.get()
    if (stored !== null && session !== null && stored.dueAt > session.dueAt && now() < stored.dueAt) {
      session = stored
      emit({ type: 'refreshed' })
      return { ok: true }
    }
    const held = session
    if (held === null) return { ok: false, code: 'not_signed_in' }
    const started = epoch
    const { answer: pending, owner } = post(held)
    const answer = await pending
    if (!answer.ok) return NETWORK
    const { status, body } = answer
    const success = status >= 200 && status < 300 && body !== null
    if (epoch !== started) {
      // Signed out while the refresh was on the wire: nothing is written back, and in cookie
      // mode the cookies the answer just set are cleared again.
      if (success && owner && transport === 'cookie') await logoutRequest('/logout', body)
      return { ok: false, code: 'signed_out', reason: 'logout' }
    }
    if (success) {
      await adopt(body, answer.at)
      if (owner) bc.post({ type: 'refreshed', session })
      emit({ type: 'refreshed' })
      return { ok: true }
    }
    const reason = reasonOf(body)
    if (reason !== null) {
      await signOut(reason, owner)
      return { ok: false, code: 'signed_out', reason }
    }
    return NETWORK
  }

  let backstopping = false
  /** `wait`: needed now (a 401, or asked for), so wait for a refresh another tab is making. */
  const doRefresh = async (wait: boolean): Promise<RefreshOutcome> => {
    await load()
    const before = session
    if (before === null) return { ok: false, code: 'not_signed_in' }
    const first = locks
      ? await locks.request(lockName, { ifAvailable: true }, (lock) => (lock ? commit() : BUSY))
      : await commit()
    if (first !== BUSY) return first
    // Wait for the lock in the background, blocking nothing: if its holder goes away without an
    // answer (a tab closed mid-refresh, whose rotation may have landed), refresh at once, inside
    // the grace window of that rotation, so its lost successor comes back as a replay.
    if (!backstopping) {
      backstopping = true
      void (locks as LockManager)
        .request(lockName, async () => {
          // A holder that answered said so to the tabs (and left its session in shared storage)
          // before it let go: give its message a moment to land, then refresh only if none did.
          await heard(100)
          if (session === before) await commit()
        })
        .finally(() => {
          backstopping = false
        })
    }
    if (!wait) return first
    await heard(lease)
    if (session === null) return { ok: false, code: 'signed_out', reason: lastReason }
    return session !== before ? { ok: true } : commit()
  }

  const refresh = (wait = true) => {
    inFlight ??= doRefresh(wait).finally(() => {
      inFlight = null
    })
    return inFlight
  }

  /** A refresh needed now. When a due one that found another tab refreshing was in flight, ask again. */
  const needed = async () => {
    const outcome = await refresh()
    return outcome === BUSY ? refresh() : outcome
  }

  const logoutRequest = async (route: '/logout' | '/logout-all', body?: Record<string, unknown> | null) => {
    const held = session
    const csrf = typeof body?.csrf_token === 'string' ? body.csrf_token : held?.csrfToken
    const target = url(route)
    const headers = new Headers(
      transport === 'cookie' ? { 'x-csrf-token': csrf ?? '' } : { 'content-type': 'application/json' },
    )
    // A DPoP-bound session ends only with its key's proof: logout names the family by the
    // refresh token and a proof (no access token, so one proof serves), logout-all by the
    // DPoP access token and its proof.
    try {
      if (dpop !== undefined && route === '/logout') headers.set('dpop', await dpop.proof('POST', target))
      else if (dpop !== undefined) await authorized(headers, 'POST', target)
      else if (held?.accessToken !== undefined) headers.set('authorization', `Bearer ${held.accessToken}`)
    } catch {
      // No key to sign with: the request goes without a proof (and the server ends nothing).
    }
    await send(target, {
      method: 'POST',
      credentials: transport === 'cookie' ? 'include' : 'omit',
      headers,
      ...(transport === 'bearer' && held?.refreshToken !== undefined
        ? { body: JSON.stringify({ refresh_token: held.refreshToken }) }
        : {}),
    }).catch(() => undefined)
  }

  /** Whether a request body can be sent twice. */
  const replayable = (body: BodyInit | null | undefined) => !(body instanceof ReadableStream)

  const authorized = async (headers: Headers, method: string, target: string) => {
    if (session === null) return
    if (transport === 'bearer' && session.accessToken !== undefined) {
      const token = session.accessToken
      if (dpop === undefined) headers.set('authorization', `Bearer ${token}`)
      else {
        headers.set('authorization', `DPoP ${token}`)
        headers.set('dpop', await dpop.proof(method, target, token))
      }
    } else if (transport === 'cookie' && UNSAFE.test(method) && session.csrfToken !== undefined) {
      headers.set('x-csrf-token', session.csrfToken)
    }
  }

  bc.on((message) => {
    queueMicrotask(() => {
      for (const resolve of waiters) resolve()
      waiters.clear()
    })
    const data = message as { type?: string; session?: ClientSession; reason?: SignOutReason } | null
    if (data?.type === 'refreshed' && data.session !== undefined) {
      session = data.session
      emit({ type: 'refreshed' })
    } else if (data?.type === 'signed_out' && data.reason !== undefined) {
      void signOut(data.reason, false)
    }
  })

  // Due time re-checked when the page comes back (sleep, a background tab, the network back).
  const target = globalThis as {
    addEventListener?: (name: string, fn: () => void) => void
    removeEventListener?: (name: string, fn: () => void) => void
  }
  const due = () => session !== null && now() >= session.dueAt
  const wake = () => {
    if (due()) void refresh(false)
  }
  for (const name of ['visibilitychange', 'online', 'focus']) target.addEventListener?.(name, wake)

  return {
    async fetch(input, init = {}) {
      const request = new Request(input, init)
      if (!allowed.has(new URL(request.url).origin)) return send(input, init)
      await load()
      if (due()) await refresh(false)
      const attempt = async () => {
        const headers = new Headers(init.headers ?? request.headers)
        await authorized(headers, request.method, request.url)
        return send(input, { ...init, headers, ...(transport === 'cookie' ? { credentials: 'include' as const } : {}) })
      }
      let first = await attempt()
      if (nonced(first) && first.status === 401 && replayable(init.body)) first = await attempt()
      // Refresh on an invalid or expired token; in cookie mode also on a challenge without an
      // error, which means no credential arrived (the browser dropped the expired access cookie).
      const challenge = first.headers.get('www-authenticate') ?? ''
      const stale =
        /error="invalid_token"/.test(challenge) ||
        (transport === 'cookie' && /^Bearer(?![\s\S]*error=)/i.test(challenge))
      if (first.status !== 401 || !stale || session === null) return first
      const refreshed = await needed()
      if (!refreshed.ok || !replayable(init.body)) return first
      return attempt()
    },
    async loginHeaders(target) {
      if (dpop === undefined) return {}
      await dpop.renew()
      return { dpop: await dpop.proof('POST', target) }
    },
    async signedIn(body) {
      if (body === null || typeof body !== 'object') throw new TypeError('signedIn: give the login response body')
      await load()
      epoch++
      await adopt(body as Record<string, unknown>, now())
      bc.post({ type: 'refreshed', session })
      emit({ type: 'signed_in' })
    },
    refresh: needed,
    async logout() {
      await load()
      await logoutRequest('/logout')
      await signOut('logout', true)
      await dpop?.clear()
    },
    async logoutAll() {
      await load()
      await logoutRequest('/logout-all')
      await signOut('logout_all', true)
      await dpop?.clear()
    },
    signedInNow: () => session !== null,
    wake,
    on(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close() {
      bc.close()
      for (const name of ['visibilitychange', 'online', 'focus']) target.removeEventListener?.(name, wake)
    },
  }
}

/** The device id in `localStorage` when the runtime has it, else in memory. */
function localDeviceStore(): { get(): string | null; set(id: string): void } {
  const ls = (
    globalThis as { localStorage?: { getItem(k: string): string | null; setItem(k: string, v: string): void } }
  ).localStorage
  let memory: string | null = null
  return {
    get: () => ls?.getItem('auth-client:device-id') ?? memory,
    set: (id) => {
      memory = id
      ls?.setItem('auth-client:device-id', id)
    },
  }
}
