// One consumer group of bench/groups.bench.ts in its own process (as deployed: one process per
// group), its handlers timed, the timings sent to the parent over IPC in batches.
import { pino } from 'pino';
import type { Handler, Handlers } from '../consumers/framework/index.ts';
import { groups } from '../consumers/runtime/groups.ts';
import { startGroup } from '../consumers/runtime/run-group.ts';
import type { AnyEvent, EventType } from '../schemas/index.ts';

/** [event id, Kafka record timestamp, handler start, handler end] (ms, comparable across processes). */
export type Timing = [string, number, number, number];

const [name, actor] = process.argv.slice(2) as [string, string];
const def = groups[name]!;
const now = () => performance.timeOrigin + performance.now();
let pending: Timing[] = [];
setInterval(() => {
  if (pending.length > 0) process.send!({ timings: pending });
  pending = [];
}, 50).unref();

const running = await startGroup(
  {
    ...def,
    async build(ctx) {
      const built = await def.build(ctx);
      const wrapped: Record<string, Handler<EventType>> = {};
      for (const [type, h] of Object.entries(built.options.handlers) as [string, Handler<EventType>][]) {
        wrapped[type] = async (e, c) => {
          const start = now();
          const r = await h(e, c);
          if ((e as AnyEvent).actor === actor) pending.push([e.id, e.kafka.timestamp, start, now()]);
          return r;
        };
      }
      return { ...built, options: { ...built.options, handlers: wrapped as Handlers } };
    },
  },
  {
    group: `bench-${name}`,
    healthPort: 0,
    logger: pino({ level: 'error' }),
    resetToEnd: true,
    overrides: { fromBeginning: false },
  },
);
process.send!({ ready: true });
process.on('message', () => {
  running.stop().then(() => process.exit(0));
});
