import { z } from 'zod';
import { localPorts } from '../../core/config.ts';
import { createPool } from '../../core/db.ts';
import { ConfigError } from '../../core/errors.ts';
import { createEmitter, createSchemaIds } from '../../producers/index.ts';
import type { GroupDefinition } from '../runtime/run-group.ts';
import { createNotificationMetrics, notificationHandlers, notificationsGroup } from './group.ts';
import { createMailer } from './mailer.ts';

const envSchema = z.object({
  NOTIFICATIONS_FROM: z.string().trim().min(3).default('Outstream Hotels <no-reply@outstream.test>'),
  NOTIFICATIONS_MESSAGE_ID_DOMAIN: z
    .string()
    .regex(/^[A-Za-z0-9.-]+$/, 'must be a domain name')
    .default('notifications.outstream.test'),
});

/**
 * The notifications group as a runnable (`npm run consumer -- notifications`). Mail goes to
 * `SMTP_URL` (the local stack's sink by default), from `NOTIFICATIONS_FROM`.
 */
export const notifications: GroupDefinition = {
  name: notificationsGroup,
  healthPort: localPorts.notificationsHealth,
  startAt: 'end',
  async build({ config, env, registry, metricsRegistry, logger }) {
    const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v)));
    if (!parsed.success)
      throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
    const pool = createPool(config.database.url, {
      max: 12,
      onIdleError: (e) =>
        logger.warn({ err: e }, 'idle PostgreSQL connection failed; reconnecting on demand'),
    });
    const mailer = createMailer({
      url: config.smtp.url,
      from: parsed.data.NOTIFICATIONS_FROM,
      onError: (e) => logger.warn({ err: e }, 'SMTP transport failed; reconnecting on the next email'),
    });
    const emitter = createEmitter({ schemaIds: createSchemaIds(registry) });
    return {
      options: {
        handlers: notificationHandlers({
          deps: { pool, emitter, mailer, messageIdDomain: parsed.data.NOTIFICATIONS_MESSAGE_ID_DOMAIN },
          metrics: createNotificationMetrics(metricsRegistry),
        }),
        // Events in flight share inbox transactions (group commit): more of them, fewer commits.
        inFlight: 256,
      },
      async close() {
        mailer.close();
        await pool.end();
      },
    };
  },
};
