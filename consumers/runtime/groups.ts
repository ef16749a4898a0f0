import { analytics } from '../analytics/definition.ts';
import { cacheInvalidation } from '../cache-invalidation/definition.ts';
import { notifications } from '../notifications/definition.ts';
import type { GroupDefinition } from './run-group.ts';

/** Every consumer group of the platform, by name: what `npm start` runs and `npm run consumer` knows. */
export const groups: Readonly<Record<string, GroupDefinition>> = Object.freeze({
  [notifications.name]: notifications,
  [cacheInvalidation.name]: cacheInvalidation,
  [analytics.name]: analytics,
});
