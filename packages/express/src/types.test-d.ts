import type { GuardOptions } from '@auth/core/http'
import { type AuthClaims, createAuth, type ExpressAuth, type RequestClaims } from '@auth/express'
import express, { type Request, type RequestHandler, type Router } from 'express'
import { describe, expectTypeOf, it } from 'vitest'

// What a user writes once to type their own claims.
declare module '@auth/express' {
  interface AuthClaims {
    role: 'admin' | 'member'
  }
}

declare const auth: ExpressAuth

describe('@auth/express types', () => {
  it('createAuth returns the router, the guard factory and the login helper', () => {
    expectTypeOf(createAuth).returns.toEqualTypeOf<ExpressAuth>()
    expectTypeOf(auth.router).toEqualTypeOf<Router>()
    expectTypeOf(auth.requireAuth).parameter(0).toEqualTypeOf<GuardOptions | undefined>()
    expectTypeOf(auth.requireAuth({ maxAuthAge: '5m' })).toEqualTypeOf<RequestHandler>()
    expectTypeOf(auth.login).returns.resolves.toEqualTypeOf<import('@auth/core').TokenPair | null>()
  })

  it('req.auth carries the registered claims plus the augmented app claims', () => {
    expectTypeOf<Request['auth']>().toEqualTypeOf<RequestClaims | null | undefined>()
    expectTypeOf<RequestClaims['sub']>().toEqualTypeOf<string>()
    expectTypeOf<RequestClaims['sid']>().toEqualTypeOf<string>()
    expectTypeOf<RequestClaims['auth_time']>().toEqualTypeOf<number>()
    expectTypeOf<RequestClaims['role']>().toEqualTypeOf<'admin' | 'member'>()
    expectTypeOf<AuthClaims>().toHaveProperty('role')
  })

  it('handlers after the guard read typed claims', () => {
    const app = express()
    app.use(auth.router)
    app.get('/me', auth.requireAuth(), (req, res) => {
      expectTypeOf(req.auth?.role).toEqualTypeOf<'admin' | 'member' | undefined>()
      res.json({ sub: req.auth?.sub })
    })
    // @ts-expect-error: a guard takes GuardOptions, not an unknown flag
    auth.requireAuth({ fresh: true })
  })
})
