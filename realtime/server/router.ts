import { traceIdOf } from '../../core/telemetry/index.ts';
import { type AnyEvent, catalogue, type EventType, eventTypes, type Topic } from '../../schemas/index.ts';
import {
  type ChannelKind,
  channelKinds,
  full,
  presenceEventTypes,
  type RouteTable,
  routes,
} from '../channels.ts';

/** One delivery of an event: the channel and the SSE `data:` line (JSON) for that channel. */
export interface Delivery {
  channel: string;
  data: string;
  /** A presence event: only for streams whose token grants presence on the channel. */
  presence?: boolean;
}

interface CompiledRoute {
  kind: ChannelKind;
  field: string;
  project: (payload: never) => object;
}

const templatePattern = new RegExp(`^(${channelKinds.join('|')}):\\{(\\w+)\\}$`);

/** Turns the typed route table into a lookup by event type (templates parsed once). */
export function compileRoutes(table: RouteTable = routes): Record<EventType, CompiledRoute[]> {
  const out = {} as Record<EventType, CompiledRoute[]>;
  for (const type of eventTypes) {
    const entries = Object.entries(table[type] as Record<string, unknown>);
    out[type] = entries.map(([template, projection]) => {
      const m = templatePattern.exec(template);
      if (!m) throw new Error(`route ${type} → ${template}: not <kind>:{<field>}`);
      return {
        kind: m[1] as ChannelKind,
        field: m[2]!,
        project: projection === full ? (p: never) => p : (projection as (p: never) => object),
      };
    });
  }
  return out;
}

/**
 * Routes decoded events to channels, rendering the `data:` JSON once per route (all channels of
 * a route share the projection).
 */
export function createRouter(table: RouteTable = routes) {
  const compiled = compileRoutes(table);
  const topicsByKind = new Map<ChannelKind, Set<Topic>>(channelKinds.map((k) => [k, new Set()]));
  for (const type of eventTypes) {
    for (const r of compiled[type]) topicsByKind.get(r.kind)!.add(catalogue[type].topic);
  }

  return {
    /**
     * The deliveries of one event, in route-table order; a channel appears once (its first
     * route wins). Empty when no route applies (e.g. a null key field).
     */
    route(event: AnyEvent): Delivery[] {
      const out: Delivery[] = [];
      const seen = new Set<string>();
      const head = `{"id":${JSON.stringify(event.id)},"type":${JSON.stringify(event.type)},"channel":`;
      // The emitter's trace id (null without a valid traceparent), so a browser can report it.
      const traceId = traceIdOf(event.trace?.traceparent);
      for (const r of compiled[event.type]) {
        const key = (event.payload as unknown as Record<string, unknown>)[r.field];
        const ids = Array.isArray(key) ? key : [key];
        let tail: string | undefined;
        for (const id of ids) {
          if (typeof id !== 'string' || id === '') continue;
          const channel = `${r.kind}:${id}`;
          if (seen.has(channel)) continue;
          seen.add(channel);
          tail ??= JSON.stringify({
            aggregateType: event.aggregateType,
            aggregateId: event.aggregateId,
            sequence: event.sequence,
            occurredAt: event.occurredAt,
            actor: event.actor,
            traceId,
            payload: r.project(event.payload as never),
          }).slice(1);
          const data = `${head}${JSON.stringify(channel)},${tail}`;
          out.push(
            presenceEventTypes.has(event.type) ? { channel, data, presence: true } : { channel, data },
          );
        }
      }
      return out;
    },
    /** The topics that can carry events for a channel kind (what a resume position must cover). */
    topicsOf(kind: ChannelKind): ReadonlySet<Topic> {
      return topicsByKind.get(kind)!;
    },
  };
}

/** The router {@link createRouter} returns. */
export type Router = ReturnType<typeof createRouter>;

/** A Kafka record after decoding and routing: where it sits in the log and who gets what. */
export interface RoutedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  /** Kafka record timestamp (ms): when Connect wrote it, shortly after the commit. */
  timestamp: number;
  /** The event type (SSE `event:`); empty for a record that could not be decoded. */
  type: string;
  /** `aggregateType:aggregateId` and the envelope's sequence (unset for an undecodable record). */
  aggregate?: string;
  sequence?: number;
  deliveries: Delivery[];
}
