/**
 * The tokens the API accepts: the admin token (LIFELINE_API_TOKEN or the generated api-token file), which
 * holds every scope, and the named ones of LIFELINE_API_TOKENS_FILE. A token is looked up in constant time.
 */
import { createHmac } from 'node:crypto';
import { ADMIN_TOKEN_NAME, API_SCOPES, ApiToken } from '../config/api-tokens';
import { ConfigError } from '../config/config-error';
import type { Principal } from './access';
import { safeEqual } from './auth';

interface Entry {
  token: string;
  principal: Principal;
  /** The codec's session cookie value: the token's HMAC, so there is nothing to store and it dies with the token. */
  session: string;
}

export class TokenTable {
  private readonly entries: Entry[];

  constructor(adminToken: string, named: readonly ApiToken[], stacks: readonly string[], people: readonly string[]) {
    for (const t of named) {
      if (t.person !== undefined && !people.includes(t.person))
        throw new ConfigError(`API token ${t.name} is for "${t.person}", who is not among the config's people`);
      if (safeEqual(t.token, adminToken))
        throw new ConfigError(`API token ${t.name} is the admin token (LIFELINE_API_TOKEN): give it one of its own`);
      const unknown = t.stacks?.find((s) => !stacks.includes(s));
      if (unknown)
        throw new ConfigError(`API token ${t.name} names stack "${unknown}", which the config does not hold`);
    }
    // Every scope but `decide`: a decision is a person's, and the admin token names nobody.
    const admin: Principal = { name: ADMIN_TOKEN_NAME, scopes: API_SCOPES.filter((scope) => scope !== 'decide') };
    this.entries = [{ token: adminToken, ...admin }, ...named].map(({ token, ...principal }) => ({
      token,
      principal,
      session: createHmac('sha256', token).update('lifeline codec session').digest('hex'),
    }));
  }

  /** Compares with every token, so the time taken does not tell which one matched, or how far. */
  find(token: string): Principal | undefined {
    let found: Principal | undefined;
    for (const e of this.entries) if (safeEqual(token, e.token)) found = e.principal;
    return found;
  }

  sessionOf(who: Principal): string {
    return this.entries.find((e) => e.principal === who)!.session;
  }

  findSession(value: string): Principal | undefined {
    let found: Principal | undefined;
    for (const e of this.entries) if (safeEqual(value, e.session)) found = e.principal;
    return found;
  }
}
