// The web shell's access token: random per launch, carried by the printed URL, then by a cookie
// or an `Authorization: Bearer` header. Any page on the machine can reach 127.0.0.1, so the
// token is what makes the server answer only the person who started it.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes, base64url: 43 characters that need no escaping in a URL or a cookie. */
export function newAccessToken(): string {
  return randomBytes(32).toString('base64url');
}

/** A token given by the caller must be as unguessable and as URL-safe as a generated one. */
export function checkAccessToken(token: string): void {
  if (!/^[A-Za-z0-9_-]{32,}$/.test(token)) {
    throw new Error('the web shell token must be at least 32 characters of A-Z, a-z, 0-9, - and _; leave it out to get a random one');
  }
}

/**
 * Compares in constant time. Hashing both sides first gives equal lengths, so neither the
 * position of the first wrong character nor the token's length leaks through timing.
 */
export function tokensEqual(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Cookies are not kept apart by port, so two web shells on one machine would overwrite each
 * other's cookie under one name: the port is part of the name.
 */
export function tokenCookieName(port: number): string {
  return `hearth_token_${port}`;
}
