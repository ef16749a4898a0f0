import { Hono } from 'hono';
import type pg from 'pg';
import { isOutstreamError } from '../../core/errors.ts';
import { parseReportQuery } from './query.ts';
import { queryReport } from './report.ts';

/**
 * The analytics JSON API, a hono app to serve alone (`npm run analytics -- serve`) or mount
 * in another app: `GET /analytics/report?hotel=1&from=2026-11-01&to=2026-11-30`.
 * A bad parameter answers 400 with `{ error, issues }` naming it.
 *
 * @example
 * serve({ fetch: analyticsApi(pool).fetch, port: 18104 });
 */
export function analyticsApi(pool: pg.Pool, schema?: string) {
  const app = new Hono();
  app.get('/analytics/report', async (c) => {
    let q: ReturnType<typeof parseReportQuery>;
    try {
      q = parseReportQuery({ hotel: c.req.query('hotel'), from: c.req.query('from'), to: c.req.query('to') });
    } catch (e) {
      if (isOutstreamError(e)) {
        return c.json(
          { error: e.code, issues: (e as { issues?: readonly string[] }).issues ?? [e.message] },
          400,
        );
      }
      throw e;
    }
    return c.json(await queryReport(pool, q, schema));
  });
  app.get('/health', (c) => c.json({ ok: true }));
  return app;
}
