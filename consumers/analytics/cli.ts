import { serve } from '@hono/node-server';
import { parseCli } from '../../core/cli.ts';
import { loadConfig } from '../../core/config.ts';
import { createPool } from '../../core/db.ts';
import { isOutstreamError } from '../../core/errors.ts';
import { createKafka } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { createEventDecoder } from '../decoder.ts';
import { analyticsApi } from './http.ts';
import { parseReportQuery } from './query.ts';
import { rebuildAnalytics } from './rebuild.ts';
import { formatReport, queryReport } from './report.ts';

const usage = `usage: npm run analytics -- <command> [flags]
  report [--hotel ID] [--from DATE] [--to DATE] [--json]
                    totals per hotel: events per type, booking funnel, revenue (UTC; dates are
                    whole days, --to inclusive; default the last 7 days)
  rebuild [--swap] [--target SCHEMA]
                    recompute from the start of the topics into fresh tables (default schema
                    analytics_rebuild) and compare with the live totals; --swap then replaces
                    the live tables (the old ones are kept, renamed)
  serve [--port N]  the JSON API alone: GET /analytics/report?hotel=&from=&to= (default port 18104, shifted by OUTSTREAM_PORT_OFFSET)
  prune [--days N]  forget counted event ids older than N days (default 8: the topics keep 7, so
                    nothing older can be redelivered)`;

function parse(argv: string[]) {
  return parseCli(
    {
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        hotel: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        json: { type: 'boolean', default: false },
        swap: { type: 'boolean', default: false },
        target: { type: 'string' },
        port: { type: 'string' },
        days: { type: 'string', default: '8' },
      },
    },
    usage,
  );
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parse(argv);
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const config = loadConfig(process.env);
  const pool = createPool(config.database.url, {
    max: 4,
    onIdleError: (e) => console.error(`PostgreSQL: ${e.message} (reconnecting on demand)`),
  });
  try {
    switch (positionals[0]) {
      case 'report': {
        const q = parseReportQuery({ hotel: values.hotel, from: values.from, to: values.to });
        const report = await queryReport(pool, q);
        console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
        return 0;
      }
      case 'rebuild': {
        const kafka = createKafka({
          ...config.kafka,
          clientId: `${config.kafka.clientId}-analytics-rebuild`,
        });
        const decoder = createEventDecoder(createSchemaRegistry({ url: config.registry.url }));
        const r = await rebuildAnalytics({
          kafka,
          decoder,
          pool,
          swap: values.swap,
          ...(values.target ? { target: values.target } : {}),
          log: (l) => console.log(l),
        });
        const show = (name: string, t: typeof r.live) =>
          `  ${name.padEnd(8)} events ${t.events}, funnel ${Object.values(t.funnel).join('/')}, revenue ${
            Object.entries(t.revenue)
              .map(([c, m]) => `${c} booked ${m.booked} refunded ${m.refunded} settled ${m.settled}`)
              .join('; ') || 'none'
          }`;
        console.log(`totals (funnel = created/confirmed/checked in/checked out/cancelled):`);
        console.log(show('rebuilt', r.rebuilt));
        console.log(show('live', r.live));
        console.log(
          r.same
            ? 'same totals'
            : 'totals differ: the live group may be behind or ahead of the rebuild, or the live tables hold events older than the topics keep (7 days)',
        );
        return 0;
      }
      case 'serve': {
        const port = values.port === undefined ? config.stack.ports.analyticsApi : Number(values.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new Error(`--port: not a port: ${values.port}`);
        const server = serve({ fetch: analyticsApi(pool).fetch, port, hostname: '127.0.0.1' });
        console.log(`analytics API on http://127.0.0.1:${port}/analytics/report`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        server.close();
        return 0;
      }
      case 'prune': {
        const days = Number(values.days);
        if (!Number.isInteger(days) || days < 1)
          throw new Error(`--days: expected a whole number ≥ 1, got ${values.days}`);
        const r = await pool.query(
          `DELETE FROM analytics.counted_events WHERE counted_at < now() - make_interval(days => $1)`,
          [days],
        );
        console.log(`forgot ${r.rowCount} counted event ids older than ${days} days`);
        return 0;
      }
      default:
        console.error(usage);
        return 2;
    }
  } finally {
    await pool.end();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    // Usage and input errors read best as their message; anything else keeps its stack.
    console.error(
      isOutstreamError(e) || (e instanceof Error && e.message.startsWith('--')) ? (e as Error).message : e,
    );
    process.exit(1);
  },
);
