import type { Consumer } from 'kafkajs';
import { ErrorCode, OutstreamError } from '../../core/errors.ts';

/**
 * Resolves once the kafkajs consumer has joined its group and completed a fetch: by then the
 * start offsets of its partitions are resolved, so an event produced from now on is
 * consumed, even by a new group that starts at the end. Rejects when the consumer crashes
 * for good or `timeoutMs` passes first. Call it before `run()`.
 */
export function whenReady(consumer: Consumer, group: string, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let joined = false;
    const offJoin = consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    const offFetch = consumer.on(consumer.events.FETCH, () => {
      if (!joined) return;
      cleanup();
      resolve();
    });
    const offCrash = consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      cleanup();
      reject(payload.error);
    });
    const timer = setTimeout(() => {
      cleanup();
      reject(new OutstreamError(ErrorCode.consumer, `consumer ${group} did not join within ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
    const cleanup = () => {
      clearTimeout(timer);
      offJoin();
      offFetch();
      offCrash();
    };
  });
}
