import { readFileSync } from 'node:fs'

/** One static file of the browser page. */
export interface PageAsset {
  readonly contentType: string
  readonly body: string
}

const file = (name: string) => readFileSync(new URL(`../public/${name}`, import.meta.url), 'utf8')

/**
 * The browser page every example serves: plain HTML, one script and one stylesheet, no build
 * step. Path -> asset. Serve each with {@link PAGE_HEADERS} and its `contentType`.
 */
export const PAGE_ASSETS: Readonly<Record<string, PageAsset>> = Object.freeze({
  '/': { contentType: 'text/html; charset=utf-8', body: file('index.html') },
  '/app.js': { contentType: 'text/javascript; charset=utf-8', body: file('app.js') },
  '/style.css': { contentType: 'text/css; charset=utf-8', body: file('style.css') },
})

/**
 * Headers for the page's files. The Content-Security-Policy allows only the page's own script:
 * HttpOnly cookies keep tokens away from an injected script, but not the requests it could make
 * with them, so keeping scripts out (XSS) stays the page's job (see docs/threat-model.md).
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
})
