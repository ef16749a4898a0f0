import type { Consumer } from '@platformatic/kafka';
import { groupByTopic } from '../partitions.ts';
import type { TopicPartition } from '../types.ts';

/** Partitions of one topic by its id, as the consumer group protocol speaks them. */
export interface IdPartitions {
  topicId: string;
  partitions: number[];
}

/**
 * Translates between topic names and the ids KIP-848 assignments use, from the cluster's
 * metadata of the subscribed topics. The metadata is read again when an id or a name is
 * not known yet (a topic created after the member started).
 */
export class TopicIds {
  #client: Consumer;
  #topics: readonly string[];
  #byName = new Map<string, string>();
  #byId = new Map<string, string>();

  constructor(client: Consumer, topics: readonly string[]) {
    this.#client = client;
    this.#topics = topics;
  }

  async toIds(partitions: readonly TopicPartition[]): Promise<IdPartitions[]> {
    if (partitions.some((p) => !this.#byName.has(p.topic))) await this.#refresh();
    return [...groupByTopic(partitions)].map(([topic, ps]) => {
      const topicId = this.#byName.get(topic);
      if (topicId === undefined) throw new Error(`topic ${topic} has no id in the cluster's metadata`);
      return { topicId, partitions: ps.map((p) => p.partition) };
    });
  }

  async toPartitions(assignment: readonly IdPartitions[]): Promise<TopicPartition[]> {
    if (assignment.some((a) => !this.#byId.has(a.topicId))) await this.#refresh();
    return assignment.flatMap((a) => {
      const topic = this.#byId.get(a.topicId);
      if (topic === undefined) throw new Error(`topic id ${a.topicId} is not among the subscribed topics`);
      return a.partitions.map((partition) => ({ topic, partition }));
    });
  }

  async #refresh(): Promise<void> {
    const metadata = await this.#client.metadata({ topics: [...this.#topics], forceUpdate: true });
    for (const [name, t] of metadata.topics) {
      this.#byName.set(name, t.id);
      this.#byId.set(t.id, name);
    }
  }
}
