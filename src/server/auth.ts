/**
 * Upload tokens. A token is 32 random bytes shown once at creation
 * (`pyr_` + base64url); the store keeps only its SHA-256. A slow password hash
 * buys nothing here: the secret has 256 bits of entropy, so there is no
 * dictionary to try, and a fast hash keeps every request's check cheap.
 *
 * Clients present it as vmprof does (`Authorization: Token <t>`), as
 * `Authorization: Bearer <t>`, or, in a browser, as the HttpOnly cookie the
 * login page sets.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const TOKEN_PREFIX = 'pyr_';
export const TOKEN_COOKIE = 'pyrometer_token';

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The token a request carries, if any: the Authorization header first, then the cookie. */
export function tokenFromHeaders(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^\s*(?:token|bearer)\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const cookie = headers.cookie;
  if (typeof cookie === 'string') {
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === TOKEN_COOKIE) {
        try {
          return decodeURIComponent(part.slice(eq + 1).trim()) || undefined;
        } catch {
          return undefined;
        }
      }
    }
  }
  return undefined;
}
