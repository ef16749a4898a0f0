import { localPorts } from '../../core/config.ts';
import { createPool } from '../../core/db.ts';
import type { GroupDefinition } from '../runtime/run-group.ts';
import { analyticsGroup, analyticsHandlers, createAnalyticsMetrics } from './group.ts';
import { analyticsApi } from './http.ts';

/**
 * The analytics group as a runnable (`npm run consumer -- analytics`). Its health server
 * also answers `GET /analytics/report` (default port 18103).
 */
export const analytics: GroupDefinition = {
  name: analyticsGroup,
  healthPort: localPorts.analyticsHealth,
  // Totals count everything the topics hold, the same as `analytics rebuild`.
  startAt: 'beginning',
  async build({ config, metricsRegistry, logger }) {
    const pool = createPool(config.database.url, {
      max: 6,
      onIdleError: (e) =>
        logger.warn({ err: e }, 'idle PostgreSQL connection failed; reconnecting on demand'),
    });
    return {
      options: {
        handlers: analyticsHandlers({ pool, metrics: createAnalyticsMetrics(metricsRegistry) }),
        // Events in flight are what a transaction can batch: more of them, bigger batches.
        inFlight: 1000,
        // Counting commutes and each event is claimed once by its id: a busy aggregate (a room
        // changing status 20 times a second) must not wait a batch transaction per event.
        ordering: 'none',
      },
      routes: analyticsApi(pool),
      close: () => pool.end(),
    };
  },
};
