import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import { ErrorCode, isOutstreamError } from '../../core/errors.ts';
import { toJson } from '../ops/dlq-list.ts';
import { type Actions, ReplayRunningError } from './actions.ts';
import { type OpsAuth, opsActions } from './ops-auth.ts';
import { parseRequest, releaseKeyRequest, replayRequest, viewQuery } from './requests.ts';
import {
  asyncApiDocument,
  deadLettersView,
  groupsView,
  overviewView,
  schemasView,
  topicsView,
  type ViewSources,
} from './views.ts';

/** What {@link createConsoleApp} serves from. */
export interface ConsoleAppDeps {
  views: ViewSources;
  actions: Actions;
  auth: OpsAuth;
  /** Require an operator token (`ops` claim `read` or `*`) for the read-only views too. */
  requireTokenForReads?: boolean;
  /** Logs a failed request (a view whose source is down is a 503, not a crash). */
  onError?: (e: unknown, path: string) => void;
}

const publicDir = path.join(import.meta.dirname, 'public');
const requireFrom = createRequire(import.meta.url);
/** A package's folder, from its main entry (htm exports no `package.json`). */
function packageDir(name: string): string {
  const entry = requireFrom.resolve(name);
  const marker = `${path.sep}node_modules${path.sep}${name}${path.sep}`;
  return entry.slice(0, entry.lastIndexOf(marker) + marker.length - 1);
}

/**
 * The page's own files and the libraries it imports as ES modules, straight from
 * node_modules (no build step): Preact and htm for the UI, uPlot for the plots. A fixed
 * list: no request path ever reaches the file system.
 */
const assets: Record<string, { file: string; type: string }> = {
  '/': { file: path.join(publicDir, 'index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { file: path.join(publicDir, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/charts.js': { file: path.join(publicDir, 'charts.js'), type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: path.join(publicDir, 'style.css'), type: 'text/css; charset=utf-8' },
  '/vendor/preact.js': {
    file: path.join(packageDir('preact'), 'dist', 'preact.module.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/vendor/preact-hooks.js': {
    file: path.join(packageDir('preact'), 'hooks', 'dist', 'hooks.module.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/vendor/htm.js': {
    file: path.join(packageDir('htm'), 'dist', 'htm.module.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/vendor/uplot.js': {
    file: path.join(packageDir('uplot'), 'dist', 'uPlot.esm.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/vendor/uplot.css': {
    file: path.join(packageDir('uplot'), 'dist', 'uPlot.min.css'),
    type: 'text/css; charset=utf-8',
  },
};

/**
 * The ops console's HTTP app (hono): the page, its JSON views and its two actions.
 *
 * - `GET /api/overview | groups | dead-letters | schemas | topics | series`, `GET /asyncapi.yaml`:
 *   read-only, open unless `requireTokenForReads`; a source that is down answers 503 with
 *   the reason.
 * - `POST /api/dlq/replay`, `POST /api/dlq/release-key`: need `Authorization: Bearer <token>`
 *   whose `ops` claim grants the action; 401 without a valid token, 403 without the grant,
 *   400 naming each bad field, 409 while the group's replay runs.
 */
export function createConsoleApp(deps: ConsoleAppDeps): Hono {
  const app = new Hono();
  const files = new Map(
    Object.entries(assets).map(([route, a]) => [route, { ...a, body: readFileSync(a.file) }]),
  );
  app.use(secureHeaders({ crossOriginResourcePolicy: 'same-origin' }));
  app.onError((e, c) => errorResponse(c, e, deps.onError));

  for (const [route, f] of files) app.get(route, (c) => c.body(f.body, 200, { 'content-type': f.type }));

  if (deps.requireTokenForReads) {
    const guard = async (c: Context, next: () => Promise<void>) => {
      await deps.auth.authorize(c.req.header('authorization'), opsActions.read);
      await next();
    };
    app.use('/api/*', guard);
    app.use('/asyncapi.yaml', guard);
  }

  const view = (route: string, read: (q: ReturnType<typeof query>) => Promise<unknown> | unknown) =>
    app.get(route, async (c) => json(c, await read(query(c))));
  const query = (c: Context) => parseRequest(viewQuery, c.req.query(), 'query');
  view('/api/overview', () => overviewView(deps.views));
  view('/api/groups', (q) => groupsView(deps.views, q));
  view('/api/dead-letters', (q) => deadLettersView(deps.views, q));
  view('/api/schemas', () => schemasView(deps.views));
  view('/api/topics', () => topicsView(deps.views));
  view('/api/series', () => ({
    intervalMs: deps.views.scraper.intervalMs,
    windowMs: deps.views.scraper.windowMs,
    groups: deps.views.scraper.series(),
  }));
  app.get('/asyncapi.yaml', async (c) =>
    c.body(await asyncApiDocument(), 200, { 'content-type': 'application/yaml; charset=utf-8' }),
  );

  const limit = bodyLimit({
    maxSize: 16 * 1024,
    onError: (c) =>
      c.json({ error: { code: ErrorCode.invalidArgument, message: 'request body over 16 KiB' } }, 413),
  });
  app.post('/api/dlq/replay', limit, async (c) => {
    const operator = await deps.auth.authorize(c.req.header('authorization'), opsActions.replay);
    const r = parseRequest(replayRequest, await body(c), 'replay');
    return json(c, { operator: operator.subject ?? null, ...(await deps.actions.replay(r)) });
  });
  app.post('/api/dlq/release-key', limit, async (c) => {
    const operator = await deps.auth.authorize(c.req.header('authorization'), opsActions.releaseKey);
    const r = parseRequest(releaseKeyRequest, await body(c), 'release-key');
    return json(c, { operator: operator.subject ?? null, ...(await deps.actions.releaseKey(r)) });
  });
  return app;
}

/** JSON that survives bigint offsets (`toJson`, as `--json` prints them). */
function json(c: Context, data: unknown, status: 200 | 400 = 200) {
  return c.body(toJson(data), status, { 'content-type': 'application/json; charset=utf-8' });
}

async function body(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    return Symbol.for('not JSON');
  }
}

/** A typed error as `{ error: { code, message, issues? } }` with its HTTP status. */
function errorResponse(c: Context, e: unknown, onError?: (e: unknown, path: string) => void) {
  const status =
    e instanceof ReplayRunningError
      ? 409
      : isOutstreamError(e, ErrorCode.invalidArgument)
        ? 400
        : isOutstreamError(e, ErrorCode.unauthorized)
          ? 401
          : isOutstreamError(e, ErrorCode.forbiddenAction)
            ? 403
            : 503;
  if (status === 503) onError?.(e, c.req.path);
  const message = e instanceof Error ? e.message : String(e);
  const issues = (e as { issues?: unknown }).issues;
  const code = isOutstreamError(e) ? e.code : 'UNAVAILABLE';
  return c.json({ error: { code, message, ...(Array.isArray(issues) ? { issues } : {}) } }, status);
}
