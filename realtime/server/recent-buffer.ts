import type { RoutedRecord } from './router.ts';

/** A gap to read: partition `partition` of `topic`, offsets `[from, to)`. */
export interface Range {
  topic: string;
  partition: number;
  from: bigint;
  to: bigint;
}

/**
 * The last N records this node dispatched, in dispatch order: serves most resumes (a client
 * that reconnects within seconds) without reading Kafka. Per partition it holds a contiguous
 * run of the log, `[coveredFrom, position)`: eviction is first-in first-out, so dropping a
 * record only ever raises its partition's lower bound. Kafka stays the source of truth; this
 * is a cache of its tail that any node rebuilds by simply running.
 */
export class RecentBuffer {
  private readonly capacity: number;
  private readonly ring: (RoutedRecord | undefined)[];
  private head = 0;
  private size = 0;
  /** Topic → per-partition lowest offset the buffer still covers. */
  private readonly coveredFrom = new Map<string, bigint[]>();

  constructor(capacity: number) {
    this.capacity = capacity;
    this.ring = new Array(capacity);
  }

  /** Declares where the node started reading a partition: the buffer covers it from there. */
  startAt(topic: string, partition: number, offset: bigint): void {
    let list = this.coveredFrom.get(topic);
    if (!list) {
      list = [];
      this.coveredFrom.set(topic, list);
    }
    list[partition] = offset;
  }

  push(record: RoutedRecord): void {
    if (this.capacity === 0) {
      this.startAt(record.topic, record.partition, record.offset + 1n);
      return;
    }
    const slot = (this.head + this.size) % this.capacity;
    if (this.size === this.capacity) {
      const evicted = this.ring[this.head]!;
      this.startAt(evicted.topic, evicted.partition, evicted.offset + 1n);
      this.head = (this.head + 1) % this.capacity;
    } else {
      this.size++;
    }
    this.ring[slot] = record;
  }

  /** True if every range lies within what the buffer covers. */
  covers(ranges: readonly Range[]): boolean {
    return ranges.every((r) => {
      const from = this.coveredFrom.get(r.topic)?.[r.partition];
      return from !== undefined && r.from >= from;
    });
  }

  /** The buffered records within `ranges`, in dispatch order (call {@link covers} first). */
  slice(ranges: readonly Range[]): RoutedRecord[] {
    const byTopic = new Map<string, Map<number, Range>>();
    for (const r of ranges) {
      let m = byTopic.get(r.topic);
      if (!m) {
        m = new Map();
        byTopic.set(r.topic, m);
      }
      m.set(r.partition, r);
    }
    const out: RoutedRecord[] = [];
    for (let i = 0; i < this.size; i++) {
      const rec = this.ring[(this.head + i) % this.capacity]!;
      const r = byTopic.get(rec.topic)?.get(rec.partition);
      if (r && rec.offset >= r.from && rec.offset < r.to) out.push(rec);
    }
    return out;
  }
}
