// Lets a plain `node` child process run this repo's TypeScript sources: Node 24 strips the types
// itself, and this hook maps the `.js` specifiers of our NodeNext imports to the `.ts` files
// beside them. Used as `node --conditions=@auth/source --import ./ts-hooks.mjs worker.ts`.
import { registerHooks } from 'node:module'

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context)
    } catch (error) {
      if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !specifier.endsWith('.js')) throw error
      return nextResolve(`${specifier.slice(0, -3)}.ts`, context)
    }
  },
})
