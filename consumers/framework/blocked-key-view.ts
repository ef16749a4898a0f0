import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { BlockedKeyStore } from './blocked-keys.ts';
import { backoffDelay, type RetryPolicy } from './retry.ts';

/** What {@link createBlockedKeyView} needs. */
export interface BlockedKeyViewDeps {
  group: string;
  store: BlockedKeyStore;
  retry: RetryPolicy;
  logger: Logger;
  /** Told the number of blocked keys whenever the view changes (the metric). */
  onCount?: (count: number) => void;
}

type Ref = { topic: string; key: string | null; offset: bigint };

/**
 * A consumer's in-memory view of its group's blocked keys (`block-key` ordering): topic + key
 * → offset of the dead letter that blocked it.
 *
 * - `reload()` on every join: the partitions that just moved here were blocked by their last
 *   owner. Records wait until it has loaded (retried until it succeeds).
 * - `refresh()` periodically: picks up releases (`npm run dlq -- release-key`) and blocks
 *   recorded by other members without a rebalance. Records go on with the current view while
 *   it loads; a failed refresh keeps it.
 * - `block()` records a block in the store, then in the view — also in a view that is being
 *   loaded, so a load that read the store just before the write cannot drop it.
 */
export function createBlockedKeyView({ group, store, retry, logger, onCount }: BlockedKeyViewDeps) {
  let view: Promise<Map<string, bigint>> = Promise.resolve(new Map());
  // Blocks recorded while a refresh loads, added to what it loaded.
  let recordedDuringRefresh: Map<string, bigint> | undefined;

  async function load(): Promise<Map<string, bigint>> {
    const list = await store.load(group);
    return new Map(list.map((b) => [keyOf(b), b.offset]));
  }

  function use(next: Map<string, bigint>): Map<string, bigint> {
    onCount?.(next.size);
    return next;
  }

  return {
    reload(): void {
      view = (async () => {
        for (let attempt = 1; ; attempt++) {
          try {
            return use(await load());
          } catch (e) {
            logger.error({ err: e, attempt }, 'cannot load blocked keys; retrying');
            await sleep(backoffDelay(retry, Math.min(attempt, 10)));
          }
        }
      })();
    },

    async refresh(): Promise<void> {
      if (recordedDuringRefresh) return;
      const before = view;
      const recorded = new Map<string, bigint>();
      recordedDuringRefresh = recorded;
      try {
        const loaded = await load();
        for (const [k, offset] of recorded) loaded.set(k, offset);
        // A join's reload started meanwhile: it is at least as fresh.
        if (view === before) view = Promise.resolve(use(loaded));
      } catch (e) {
        logger.warn({ err: e }, 'cannot refresh blocked keys; keeping the ones known');
      } finally {
        recordedDuringRefresh = undefined;
      }
    },

    /** The offset of the dead letter that blocks the record's key, if it is blocked. */
    async blockedBy(ref: Ref): Promise<bigint | undefined> {
      return ref.key === null ? undefined : (await view).get(keyOf(ref));
    },

    /** Records the block before the dead letter's offset may be committed; false when stopped first. */
    async block(ref: Ref, stop: AbortSignal): Promise<boolean> {
      if (ref.key === null || (await view).has(keyOf(ref))) return true;
      const entry = { topic: ref.topic, key: ref.key, offset: ref.offset };
      for (let attempt = 1; !stop.aborted; attempt++) {
        try {
          await store.block(group, entry);
          // A refresh loading now may have read the store before the write: hand it the block.
          // Then the view as it is now, not the one before the write (a reload may have
          // replaced it). Any load that starts later reads the block from the store.
          recordedDuringRefresh?.set(keyOf(ref), ref.offset);
          const current = await view;
          current.set(keyOf(ref), ref.offset);
          onCount?.(current.size);
          return true;
        } catch (e) {
          logger.error({ err: e, ...ref, attempt }, 'cannot record blocked key; retrying');
          await sleep(backoffDelay(retry, Math.min(attempt, 10)), undefined, { signal: stop }).catch(
            () => {},
          );
        }
      }
      return false;
    },
  };
}

/** The view {@link createBlockedKeyView} returns. */
export type BlockedKeyView = ReturnType<typeof createBlockedKeyView>;

function keyOf(ref: { topic: string; key: string | null }): string {
  return `${ref.topic}\u0000${ref.key}`;
}
