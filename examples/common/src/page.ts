import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { buildSync } from 'esbuild'

/** One static file of the browser page. */
export interface PageAsset {
  readonly contentType: string
  readonly body: string
}

const file = (name: string) => readFileSync(new URL(`../public/${name}`, import.meta.url), 'utf8')

/**
 * `@auth/client` as one browser module, bundled when the app starts from the package as installed
 * (its TypeScript source in this workspace): the page stays plain files with no build step.
 */
export function clientModule(subpath: '' | '/dpop' = ''): string {
  const built = buildSync({
    entryPoints: [fileURLToPath(import.meta.resolve(`@auth/client${subpath}`))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  })
  return built.outputFiles[0]?.text ?? ''
}

/**
 * The browser page every example serves: plain HTML, one script on `@auth/client` and one
 * stylesheet, no build step. Path -> asset. Serve each with {@link PAGE_HEADERS} and its `contentType`.
 */
export const PAGE_ASSETS: Readonly<Record<string, PageAsset>> = Object.freeze({
  '/': { contentType: 'text/html; charset=utf-8', body: file('index.html') },
  '/app.js': { contentType: 'text/javascript; charset=utf-8', body: file('app.js') },
  '/auth-client.js': { contentType: 'text/javascript; charset=utf-8', body: clientModule() },
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
