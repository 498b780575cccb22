// The browser side of cookie mode, in plain JavaScript with no build step, on @auth/client
// (served as /auth-client.js: the package bundled into one module when the app starts).
//
// No token is ever readable here: the access and refresh cookies are HttpOnly and the browser
// attaches them by itself (the refresh cookie only under /auth). The client sends the CSRF value
// the server gave in `x-csrf-token` on every request that changes something (double-submit): a
// page on another site can make the browser send our cookies, but it cannot read that value, so
// it cannot forge the header. It refreshes before the access token expires, once per tab however
// many requests wait, shares the result with the other tabs, and signs every tab out together.
import { createAuthClient } from '/auth-client.js'

const AUTH = '/auth'
const $ = (id) => document.getElementById(id)

/** Every request the page made, with its answer: what the log below shows, and what the browser tests read. */
const requests = []

/** `fetch`, logged on the page (the client sends all its requests through it). */
async function logged(input, init = {}) {
  const method = init.method ?? 'GET'
  const path = new URL(input instanceof Request ? input.url : String(input), location.href).pathname
  let response
  try {
    response = await fetch(input, init)
  } catch (error) {
    requests.push({ method, path, status: 0, code: 'network' })
    log(`${method} ${path}`, 0, 'network')
    throw error
  }
  const body = await response
    .clone()
    .json()
    .catch(() => null)
  const code = body?.code ?? body?.error ?? null
  requests.push({ method, path, status: response.status, code })
  log(`${method} ${path}`, response.status, code)
  showCookies()
  return response
}

const auth = createAuthClient({ baseUrl: location.origin, prefix: AUTH, transport: 'cookie', fetch: logged })
/** What the client told this tab (signed_in, refreshed, signed_out with its reason). */
const events = []
auth.on((event) => {
  events.push(event)
  if (event.type === 'signed_out') showSignedOut(event.reason)
})

/** A call through the client. Resolves to { status, code, body }. */
async function api(method, path, body) {
  try {
    const response = await auth.fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    const json = text ? JSON.parse(text) : null
    return { status: response.status, code: json?.code ?? json?.error ?? null, body: json }
  } catch (error) {
    return { status: 0, code: 'network', body: { error: 'network', error_description: String(error) } }
  }
}

async function loadMe() {
  const me = await api('GET', '/api/me')
  if (me.status === 200) showSignedIn(me.body)
  else if (me.status === 401 || me.status === 403) showSignedOut(me.code)
  return me
}

async function login(username) {
  $('signed-out-reason').textContent = ''
  // The app's own login route (it checks the user, then calls the library's login helper); its
  // answer, handed to the client, is the session.
  const response = await logged('/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username }),
  })
  const body = await response.json().catch(() => null)
  if (response.status === 200) {
    await auth.signedIn(body)
    await loadMe()
  } else {
    $('signed-out-reason').textContent = `login refused: ${body?.code ?? response.status}`
  }
  return { status: response.status, code: body?.code ?? null, body }
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
    revoke.addEventListener('click', () => revokeSession(session.id, session.current))
    item.append(revoke)
    list.append(item)
  }
  return result
}

async function revokeSession(id, current) {
  const result = await api('DELETE', `${AUTH}/sessions/${encodeURIComponent(id)}`)
  // This browser's own session: the server cleared its cookies; end it in every tab too.
  if (result.status === 204 && current) await auth.logout()
  else await loadSessions()
  return result
}

/** Logs out (every tab of this browser) or out everywhere (every session of the user). */
async function logout(all) {
  await (all ? auth.logoutAll() : auth.logout())
  return { signedIn: auth.signedInNow() }
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
  // Keep the first, telling reason (say reuse_detected) over the "no cookie left" that follows it.
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
$('refresh').addEventListener('click', () => void auth.refresh().then(() => loadMe()))
$('load-sessions').addEventListener('click', () => void loadSessions())
$('logout').addEventListener('click', () => void logout(false))
$('logout-all').addEventListener('click', () => void logout(true))

// For the end-to-end test (and the curious, from the devtools console).
window.demo = {
  auth,
  events,
  requests,
  refresh: () => auth.refresh(),
  loadMe,
  login,
  callApi,
  loadSessions,
  logout,
  api,
}

showCookies()
void loadMe()
