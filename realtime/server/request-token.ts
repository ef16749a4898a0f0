import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';

/**
 * The realtime token of a request: `Authorization: Bearer`, else the cookie `cookieName`,
 * else `?token=` (EventSource cannot set headers).
 */
export function requestToken(c: Context, cookieName: string): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
  return bearer ?? getCookie(c, cookieName) ?? c.req.query('token');
}
