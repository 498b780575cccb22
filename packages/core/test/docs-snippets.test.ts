/**
 * Docs cannot drift from the API: every fenced ```ts block in docs/**\/*.md is type-checked
 * against the workspace packages' sources, in one `tsc --noEmit` run with the repo's settings.
 *
 * - A block fenced ```ts (or ```typescript) is compiled. ```ts ignore, and every other
 *   language (`text`, `sh`, `json`…), is skipped.
 * - Each block is its own module, so blocks may repeat top-level names; a block stays
 *   compilable on its own with declarations such as `declare const store: FamilyStore`.
 * - Blocks are written under node_modules/.cache/docs-snippets/, next to a node_modules/ of
 *   symlinks: every workspace package by its name (resolved through the "@auth/source"
 *   condition to its src/) and every third-party package any workspace package installed.
 * - A failure prints the markdown file and line of the offending code, never the temp file.
 *   Like any tsc run, a syntax error in one block hides the type errors of all the others
 *   until it is fixed.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const DOCS = join(ROOT, 'docs')
const OUT = join(ROOT, 'node_modules', '.cache', 'docs-snippets')
/** Generated output (TypeDoc) is not prose we write; it is skipped. */
const SKIP_DIRS = new Set(['api', 'node_modules'])

/** One fenced block of a markdown page. `line` is the 1-based line of the block's first code line. */
export interface Snippet {
  readonly file: string
  readonly line: number
  readonly code: string
}

/** True for the info strings whose blocks are compiled: `ts` / `typescript`, without `ignore`. */
function isCompiled(info: string): boolean {
  const [lang = '', ...flags] = info.trim().split(/[\s,{}]+/)
  return (lang === 'ts' || lang === 'typescript') && !flags.includes('ignore')
}

/** Extracts the compiled blocks of one markdown text (CommonMark fences: ``` or ~~~, 3+ long, indent < 4). */
export function extractSnippets(file: string, markdown: string): Snippet[] {
  const lines = markdown.split(/\r?\n/)
  const out: Snippet[] = []
  let open: { fence: string; info: string; start: number; indent: number } | null = null
  let body: string[] = []
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? ''
    if (open === null) {
      const m = /^( {0,3})(`{3,}|~{3,})(.*)$/.exec(text)
      if (m && !(m[2]!.startsWith('`') && m[3]!.includes('`'))) {
        open = { fence: m[2]!, info: m[3]!, start: i + 2, indent: m[1]!.length }
        body = []
      }
      continue
    }
    const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(text)
    if (close && close[1]![0] === open.fence[0] && close[1]!.length >= open.fence.length) {
      if (isCompiled(open.info)) out.push({ file, line: open.start, code: body.join('\n') })
      open = null
      continue
    }
    const indent = open.indent
    body.push(text.replace(new RegExp(`^ {0,${indent}}`), ''))
  }
  // An unclosed fence runs to the end of the document (CommonMark).
  if (open !== null && isCompiled(open.info)) out.push({ file, line: open.start, code: body.join('\n') })
  return out
}

function markdownFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  const found: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) found.push(...markdownFiles(join(dir, entry.name)))
    } else if (entry.name.endsWith('.md')) found.push(join(dir, entry.name))
  }
  return found.sort()
}

/** Workspace package directories (packages/*, examples/*, bench) by package name. */
function workspacePackages(): Map<string, string> {
  const byName = new Map<string, string>()
  const dirs = ['packages', 'examples'].flatMap((d) =>
    existsSync(join(ROOT, d)) ? readdirSync(join(ROOT, d)).map((n) => join(ROOT, d, n)) : [],
  )
  dirs.push(join(ROOT, 'bench'))
  for (const dir of dirs) {
    const manifest = join(dir, 'package.json')
    if (!existsSync(manifest)) continue
    const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }
    if (name) byName.set(name, dir)
  }
  return byName
}

/** A node_modules of symlinks: workspace packages by name, then every dependency any of them installed. */
function linkModules(target: string, workspace: Map<string, string>): void {
  const links = new Map<string, string>(workspace)
  for (const dir of workspace.values()) {
    const modules = join(dir, 'node_modules')
    if (!existsSync(modules)) continue
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue
      const names = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((n) => `${entry}/${n}`) : [entry]
      for (const name of names) if (!links.has(name)) links.set(name, join(modules, name))
    }
  }
  for (const [name, dir] of links) {
    const at = join(target, ...name.split('/'))
    mkdirSync(dirname(at), { recursive: true })
    symlinkSync(dir, at, 'dir')
  }
}

interface Diagnostic {
  readonly file: string
  readonly line: number
  readonly column: number
  readonly message: string
}

function runTsc(project: string): Promise<{ code: number; output: string }> {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  return new Promise((done) => {
    execFile(
      process.execPath,
      [tsc, '-p', project, '--pretty', 'false'],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        done({ code, output: `${stdout}${stderr}` })
      },
    )
  })
}

/** Parses `path(line,col): error TSxxxx: message` lines (continuation lines join the previous one). */
function parseDiagnostics(output: string): Diagnostic[] {
  const out: Diagnostic[] = []
  for (const raw of output.split('\n')) {
    const m = /^(.+?)\((\d+),(\d+)\): error (TS\d+: .*)$/.exec(raw)
    if (m) out.push({ file: resolve(ROOT, m[1]!), line: Number(m[2]), column: Number(m[3]), message: m[4]! })
    else if (raw.trim() !== '' && out.length > 0) {
      const last = out.pop()!
      out.push({ ...last, message: `${last.message}\n    ${raw.trim()}` })
    }
  }
  return out
}

describe('extractSnippets', () => {
  it('keeps ts blocks with their markdown line, and skips ignore, text, sh and json', () => {
    const md = [
      '# Title', //                      1
      '```ts', //                        2
      'const a = 1', //                  3
      '```', //                          4
      '```ts ignore', //                 5
      'not compiled', //                 6
      '```', //                          7
      '```text', //                      8
      'a timeline', //                   9
      '```', //                          10
      '````md', //                       11
      '```ts', //                        12  (inside a 4-backtick fence: plain text)
      'nested', //                       13
      '```', //                          14
      '````', //                         15
      '```typescript', //                16
      'const b = 2', //                  17
      '```', //                          18
      '```sh', //                        19
      'pnpm demo', //                    20
      '```', //                          21
      '```json', //                      22
      '{}', //                           23
      '```', //                          24
    ].join('\n')
    expect(extractSnippets('x.md', md)).toEqual([
      { file: 'x.md', line: 3, code: 'const a = 1' },
      { file: 'x.md', line: 17, code: 'const b = 2' },
    ])
  })
})

describe('docs code blocks', () => {
  it('type-check against the workspace packages, with zero errors', { timeout: 120_000 }, async () => {
    const snippets = markdownFiles(DOCS).flatMap((file) =>
      extractSnippets(relative(ROOT, file), readFileSync(file, 'utf8')),
    )
    // docs/policy.md alone holds several compiled recipes; finding none means the scan is broken.
    expect(snippets.length).toBeGreaterThan(0)

    rmSync(OUT, { recursive: true, force: true })
    mkdirSync(OUT, { recursive: true })
    linkModules(join(OUT, 'node_modules'), workspacePackages())
    // Snippets are ES modules whatever the repo's package.json says.
    writeFileSync(join(OUT, 'package.json'), '{ "type": "module", "private": true }\n')

    const bySource = new Map<string, Snippet>()
    const files: string[] = []
    for (const s of snippets) {
      const name = `${s.file
        .split(sep)
        .join('__')
        .replace(/[^\w.-]/g, '_')}.L${s.line}.ts`
      const path = join(OUT, name)
      writeFileSync(path, `${s.code}\n`)
      bySource.set(path, s)
      files.push(name)
    }
    const project = join(OUT, 'tsconfig.json')
    writeFileSync(
      project,
      JSON.stringify(
        {
          extends: join(ROOT, 'tsconfig.base.json'),
          compilerOptions: {
            noEmit: true,
            lib: ['es2023', 'dom'],
            customConditions: ['@auth/source'],
            moduleDetection: 'force',
            allowImportingTsExtensions: true,
            declaration: false,
            declarationMap: false,
            sourceMap: false,
            incremental: false,
          },
          files,
        },
        null,
        2,
      ),
    )

    const { code, output } = await runTsc(project)
    const diagnostics = parseDiagnostics(output)
    const inSnippets = diagnostics.filter((d) => bySource.has(d.file))
    const elsewhere = diagnostics.filter((d) => !bySource.has(d.file))
    const report = inSnippets
      .map((d) => {
        const s = bySource.get(d.file)!
        return { file: s.file, line: s.line + d.line - 1, text: `${d.column} ${d.message}` }
      })
      .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line)
      .map((r) => `${r.file}:${r.line}:${r.text}`)
    if (elsewhere.length > 0) {
      // Errors inside the packages' own sources are the repo typecheck's business, not the docs';
      // they are shown (a snippet may fail because of them) but judged by `pnpm typecheck`.
      console.warn(
        `docs-snippets: ${elsewhere.length} error(s) outside the snippets:\n${elsewhere
          .slice(0, 20)
          .map((d) => `  ${relative(ROOT, d.file)}:${d.line}:${d.column} ${d.message}`)
          .join('\n')}`,
      )
    }
    expect(report, `docs code blocks that do not compile:\n${report.join('\n')}`).toEqual([])
    // tsc exits non-zero only for errors; every one of them must have been accounted for above.
    if (code !== 0) expect(diagnostics.length, output.slice(0, 4000)).toBeGreaterThan(0)
  })
})
