import type { GuardOptions } from '@auth/core/http'
import {
  type AuthUser,
  type AuthVariables,
  auth,
  type HonoAuth,
  type OptionalAuthVariables,
  type RequestClaims,
} from '@auth/hono'
import { type Context, Hono, type MiddlewareHandler } from 'hono'
import { describe, expectTypeOf, it } from 'vitest'

// What a user writes once to type their own claims.
declare module '@auth/hono' {
  interface AuthClaims {
    role: 'admin' | 'member'
  }
}

declare const a: HonoAuth

describe('@auth/hono types', () => {
  it('auth() returns the routes, the middleware, the guard factory and the login helper', () => {
    expectTypeOf(auth).returns.toEqualTypeOf<HonoAuth>()
    expectTypeOf(a.routes).toEqualTypeOf<Hono>()
    expectTypeOf(a.handler).toEqualTypeOf<MiddlewareHandler>()
    expectTypeOf(a.requireAuth()).toEqualTypeOf<MiddlewareHandler<{ Variables: AuthVariables }>>()
    expectTypeOf(a.requireAuth({ maxAuthAge: 300 } satisfies GuardOptions)).toEqualTypeOf<
      MiddlewareHandler<{ Variables: AuthVariables }>
    >()
    expectTypeOf(a.requireAuth({ optional: true })).toEqualTypeOf<
      MiddlewareHandler<{ Variables: OptionalAuthVariables }>
    >()
    expectTypeOf(a.login).returns.resolves.toEqualTypeOf<Response>()
  })

  it("c.get('auth') is typed through ContextVariableMap, on any Hono app", () => {
    const app = new Hono()
    app.route('/', a.routes)
    app.get('/me', a.requireAuth(), (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<RequestClaims>()
      expectTypeOf(c.get('auth').role).toEqualTypeOf<'admin' | 'member'>()
      expectTypeOf(c.get('auth').sid).toEqualTypeOf<string>()
      return c.json({ sub: c.get('auth').sub })
    })
    app.post('/login', async (c: Context) => a.login(c, 'user-1', { claims: { role: 'member' } }))
  })

  it('without the guard nothing is set, and the type says so; optional guards may set null', () => {
    const app = new Hono()
    app.get('/open', (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<RequestClaims | null | undefined>()
      // @ts-expect-error: no guard on this route, so the claims may be absent
      c.get('auth').sub
      return c.text('ok')
    })
    app.get('/maybe', a.requireAuth({ optional: true }), (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<RequestClaims | null>()
      expectTypeOf(c.get('user')).toEqualTypeOf<AuthUser | null>()
      return c.text(c.get('auth')?.sub ?? 'anonymous')
    })
  })

  it('and through AuthVariables on an app that declares its variables', () => {
    const app = new Hono<{ Variables: AuthVariables }>()
    app.get('/me', a.requireAuth({ maxAuthAge: 300 }), (c) => {
      expectTypeOf(c.var.auth.auth_time).toEqualTypeOf<number>()
      return c.json(c.var.auth.sub)
    })
  })
})
