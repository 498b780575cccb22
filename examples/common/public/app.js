// The browser side of cookie mode, in plain JavaScript with no build step.
//
// No token is ever readable here: the access and refresh cookies are HttpOnly and the browser
// attaches them by itself (the refresh cookie only to /auth/refresh). The one cookie this script
// can read is the CSRF token, which it copies into `x-csrf-token` on every request that changes
// something (double-submit): a page on another site can make the browser send our cookies, but
// it cannot read this cookie, so it cannot forge the header.

const AUTH = '/auth'
const $ = (id) => document.getElementById(id)

/** The CSRF cookie's value (`__Host-csrf_token` over HTTPS), or null before login. */
function csrfToken() {
  for (const part of document.cookie.split(';')) {
    const eq = part.indexOf('=')
    const name = part.slice(0, eq).trim()
    if (name === '__Host-csrf_token' || name === '__Secure-csrf_token' || name === 'csrf_token') {
      return decodeURIComponent(part.slice(eq + 1).trim())
    }
  }
  return null
}

/** One request, logged on the page. Unsafe methods carry the CSRF header. Resolves to { status, code, body }. */
async function send(method, path, body) {
  const headers = {}
  if (method !== 'GET') {
    const csrf = csrfToken()
    if (csrf !== null) headers['x-csrf-token'] = csrf
  }
  if (body !== undefined) headers['content-type'] = 'application/json'
  let status = 0
  let json = null
  try {
    const response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    status = response.status
    const text = await response.text()
    json = text ? JSON.parse(text) : null
  } catch (error) {
    json = { error: 'network', error_description: String(error) }
  }
  const code = json?.code ?? json?.error ?? null
  log(`${method} ${path}`, status, code)
  showCookies()
  return { status, code, body: json }
}

// One refresh at a time per tab: concurrent callers share it. Two TABS refreshing at once is
// the server's job: the second presents the rotated-away token inside the grace window and
// gets the same successor back.
let refreshing = null

/** POST /auth/refresh: rotates the family; the browser stores the new cookies. */
function refresh() {
  refreshing ??= send('POST', `${AUTH}/refresh`)
    .then((result) => {
      // A refused refresh ends the session in this browser (the server also deleted the cookies).
      if (result.status >= 400 && result.status < 500) showSignedOut(result.code)
      return result
    })
    .finally(() => {
      refreshing = null
    })
  return refreshing
}

/**
 * A call to the app's API. An access token that has expired (the browser drops its cookie at
 * the same moment) gets a 401: refresh once and retry. A failed refresh means the session is
 * over (logged out, revoked, expired, or reuse was detected).
 */
async function api(method, path, body) {
  const first = await send(method, path, body)
  if (first.status !== 401 || first.code === 'ERR_AUTH_STALE') return first
  // No CSRF cookie means no refresh cookie either (they share a lifetime): nothing to refresh.
  if (csrfToken() === null) return first
  const refreshed = await refresh()
  if (refreshed.status !== 200) return refreshed
  return send(method, path, body)
}

async function loadMe() {
  const me = await api('GET', '/api/me')
  if (me.status === 200) showSignedIn(me.body)
  else if (me.status === 401 || me.status === 403) showSignedOut(me.code)
  return me
}

async function login(username) {
  $('signed-out-reason').textContent = ''
  const result = await send('POST', '/login', { username })
  if (result.status === 200) await loadMe()
  else $('signed-out-reason').textContent = `login refused: ${result.code}`
  return result
}

async function callApi() {
  const result = await api('POST', '/api/hello')
  $('api-result').textContent =
    result.status === 200 ? `${result.body.message} (at ${result.body.at})` : `refused: ${result.status} ${result.code}`
  return result
}

async function loadSessions() {
  const result = await api('GET', `${AUTH}/sessions`)
  const list = $('sessions')
  list.replaceChildren()
  if (result.status !== 200) return result
  for (const session of result.body.sessions) {
    const item = document.createElement('li')
    item.dataset.id = session.id
    const created = new Date(session.created_at * 1000).toLocaleTimeString()
    const used = new Date(session.last_used_at * 1000).toLocaleTimeString()
    item.textContent = `${session.current ? '★ this browser' : (session.user_agent ?? 'unknown client')} · ${session.ip ?? ''} · logged in ${created}, last used ${used} `
    const revoke = document.createElement('button')
    revoke.className = 'small'
    revoke.textContent = 'revoke'
    revoke.addEventListener('click', () => revokeSession(session.id))
    item.append(revoke)
    list.append(item)
  }
  return result
}

async function revokeSession(id) {
  const result = await api('DELETE', `${AUTH}/sessions/${encodeURIComponent(id)}`)
  await loadSessions()
  if (result.status === 204 && !csrfToken()) showSignedOut('you revoked this browser’s own session')
  return result
}

async function logout(all) {
  // Through api(): with an expired access token, refresh first (the refresh cookie only ever goes
  // to /auth/refresh, so the logout route knows the session by the access token).
  const result = await api('POST', all ? `${AUTH}/logout-all` : `${AUTH}/logout`)
  showSignedOut(all ? 'logged out everywhere' : 'logged out')
  return result
}

function showSignedIn(me) {
  $('signed-out').hidden = true
  $('signed-in').hidden = false
  $('status').textContent = `signed in as ${me.sub}`
  $('status').className = 'pill ok'
  $('claims').textContent = JSON.stringify(me.claims, null, 2)
  void loadSessions()
}

function showSignedOut(reason) {
  $('signed-in').hidden = true
  $('signed-out').hidden = false
  $('status').textContent = 'signed out'
  $('status').className = 'pill bad'
  // Keep the first, telling reason (say ERR_REFRESH_TOKEN_REVOKED) over the "no cookie left" that follows it.
  const reasonBox = $('signed-out-reason')
  const followUp = /^ERR_(ACCESS|REFRESH)_TOKEN_MISSING$/.test(reason ?? '')
  if (reason && !(followUp && reasonBox.textContent)) reasonBox.textContent = `Signed out: ${reason}`
}

function showCookies() {
  $('cookies').textContent = document.cookie === '' ? '(empty)' : document.cookie
}

function log(what, status, code) {
  const item = document.createElement('li')
  item.textContent = `${new Date().toLocaleTimeString()}  ${what} → ${status}${code ? ` ${code}` : ''}`
  if (status >= 400 || status === 0) item.className = 'error'
  $('log').prepend(item)
}

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault()
  void login($('username').value)
})
$('call-api').addEventListener('click', () => void callApi())
$('refresh').addEventListener('click', () => void refresh().then(() => loadMe()))
$('load-sessions').addEventListener('click', () => void loadSessions())
$('logout').addEventListener('click', () => void logout(false))
$('logout-all').addEventListener('click', () => void logout(true))

// For the end-to-end test (and the curious, from the devtools console).
window.demo = { refresh, loadMe, login, callApi, loadSessions, revokeSession, logout, send, csrfToken }

showCookies()
void loadMe()
