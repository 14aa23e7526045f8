/**
 * Least privilege in the API: every route declares the one scope it needs (`{ config: { access } }`), a route
 * that declares none stops the API from being built, and a request's principal (the token or signature it
 * authenticated with, set by the routes' plugin) must hold that scope: else 403, naming token, scope and route.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiScope } from '../config/api-tokens';

/** A scope, or `public`: open to anyone (liveness, metrics, the codec's login and CORS preflight). */
type Access = ApiScope | 'public';

/** Who a request authenticated as. */
export interface Principal {
  name: string;
  scopes: readonly ApiScope[];
  /** When given, the only stacks it may start procedures on and read workflows of. */
  stacks?: readonly string[];
  /** A personal token's person: decisions sent with it are recorded as theirs. */
  person?: string;
}

interface RouteAccess {
  method: string;
  url: string;
  access: Access;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyInstance {
    /** Every route with the access it declared: what docs/SECURITY.md lists. */
    routeAccess: readonly RouteAccess[];
  }
}

/** `operate` follows what it starts: it includes reading workflows (of its stacks, when it has some). */
const INCLUDED: Partial<Record<ApiScope, readonly ApiScope[]>> = { operate: ['read'] };

export const holds = (who: Principal, scope: ApiScope): boolean =>
  who.scopes.some((s) => s === scope || INCLUDED[s]?.includes(scope));

export const lacksScope = (who: Principal, scope: ApiScope, method: string, route: string): string =>
  `token ${who.name} lacks scope ${scope} for ${method} ${route}`;

/** Why a principal may not touch a stack (undefined: it may). `stack` is undefined when `what` names none. */
export function stackRefusal(who: Principal, stack: string | undefined, what: string): string | undefined {
  if (!who.stacks || (stack !== undefined && who.stacks.includes(stack))) return undefined;
  return `token ${who.name} is limited to stacks ${who.stacks.join(', ')}; ${what} is outside them`;
}

async function authorize(req: FastifyRequest, reply: FastifyReply) {
  const scope = req.routeOptions.config.access as ApiScope;
  // Fail closed: a route outside every plugin that authenticates has no principal.
  if (!req.principal) return reply.code(401).send({ error: 'missing credentials' });
  if (!holds(req.principal, scope))
    return reply.code(403).send({ error: lacksScope(req.principal, scope, req.method, req.routeOptions.url ?? '') });
}

/**
 * Call first, before any route: checks each route's declaration as it is added. The check runs at
 * preValidation, after the plugins' authentication (theirs run first) and before the body is looked at.
 */
export function enforceAccess(app: FastifyInstance): void {
  const table: RouteAccess[] = [];
  app.decorate('routeAccess', table);
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (!access) throw new Error(`route ${route.method} ${route.url} declares no access (config: { access })`);
    // Fastify adds a HEAD beside each GET, with the GET's options: checked alike, listed once.
    if (route.method !== 'HEAD')
      for (const method of [route.method].flat()) table.push({ method, url: route.url, access });
    if (access !== 'public') route.preValidation = [...[route.preValidation ?? []].flat(), authorize];
  });
}
