/**
 * Analytics: rules (event → fact), the aggregation SQL (exactly-once per batch), reports
 * (CLI table and JSON API), rebuild from the topics, and the consumer group.
 * See consumers/analytics/README.md.
 */

export type { ApplyResult } from './aggregate.ts';
export { applyFacts, liveSchema } from './aggregate.ts';
export { analytics } from './definition.ts';
export { AnalyticsWriteError, analyticsGroup, analyticsHandlers, createAnalyticsMetrics } from './group.ts';
export { analyticsApi } from './http.ts';
export { InvalidReportQueryError, parseReportQuery } from './query.ts';
export type { RebuildOptions, RebuildResult, Totals } from './rebuild.ts';
export { rebuildAnalytics, swapLockKey, totalsOf } from './rebuild.ts';
export type { AnalyticsReport, Funnel, HotelReport, ReportQuery, Revenue } from './report.ts';
export { formatReport, queryReport } from './report.ts';
export type { AnalyticsRule, Fact, FunnelStage, Measure, Money } from './rules.ts';
export { analyticsRules, factOf } from './rules.ts';
