/**
 * node:crypto when the runtime has it (Node, and runtimes with Node compatibility such as Bun
 * and Deno), else `undefined`. Loaded through `process.getBuiltinModule`, which is synchronous
 * and needs no static `import 'node:crypto'`, so bundles for browsers and edge runtimes still
 * load this module; there the library falls back to jose and Web Crypto.
 */
export const nodeCrypto: typeof import('node:crypto') | undefined = loadNodeCrypto()

/** The Node `Buffer` class when the runtime has it. */
export const NodeBuffer: typeof import('node:buffer').Buffer | undefined = nodeCrypto
  ? (globalThis as { Buffer?: typeof import('node:buffer').Buffer }).Buffer
  : undefined

function loadNodeCrypto(): typeof import('node:crypto') | undefined {
  const proc = (
    globalThis as {
      process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown }
    }
  ).process
  if (typeof proc?.versions?.node !== 'string' || typeof proc.getBuiltinModule !== 'function') return undefined
  try {
    const mod = proc.getBuiltinModule('node:crypto') as typeof import('node:crypto') | undefined
    return typeof mod?.createHmac === 'function' && typeof mod.verify === 'function' ? mod : undefined
  } catch {
    return undefined
  }
}
