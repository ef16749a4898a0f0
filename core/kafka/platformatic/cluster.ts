import { type Admin, ConnectionPool, describeQuorumV2 } from '@platformatic/kafka';
import type { PartitionReplicas, QuorumDescription } from '../types.ts';
import { type ConnectionOptions, call } from './options.ts';

// KRaft keeps the cluster's metadata in this one-partition log; its quorum elects the controller.
const metadataLog = '__cluster_metadata';

/** Each partition's leader, replicas and in-sync replicas, from fresh metadata. */
export async function partitionReplicas(admin: Admin, topic: string): Promise<PartitionReplicas[]> {
  const metadata = await call(`describe ${topic}`, () =>
    admin.metadata({ topics: [topic], forceUpdate: true }),
  );
  const partitions = metadata.topics.get(topic)?.partitions ?? [];
  return partitions.map((p, partition) => ({
    partition,
    leader: p.leader,
    replicas: [...p.replicas],
    isr: [...p.isr],
  }));
}

/**
 * The KRaft controller quorum (DescribeQuorum, which a broker forwards to the active
 * controller): who leads it, and the voters. Metadata's `controllerId` cannot say: on KRaft a
 * broker answers it with a random live broker (KIP-919).
 */
export async function describeQuorum(o: ConnectionOptions): Promise<QuorumDescription> {
  const pool = new ConnectionPool(`${o.clientId}-quorum`, { connectTimeout: 3_000, requestTimeout: 10_000 });
  try {
    const brokers = o.brokers.map((b) => {
      const at = b.lastIndexOf(':');
      return { host: b.slice(0, at), port: Number(b.slice(at + 1)) };
    });
    const response = await call('describe the metadata quorum', async () =>
      describeQuorumV2.api.async(await pool.getFirstAvailable(brokers), [
        { topicName: metadataLog, partitions: [{ partitionIndex: 0 }] },
      ]),
    );
    const p = response.topics[0]?.partitions[0];
    if (!p) throw new Error('describe the metadata quorum: no partition in the answer');
    return {
      leaderId: p.leaderId,
      leaderEpoch: p.leaderEpoch,
      voters: p.currentVoters.map((v) => v.replicaId).sort((a, b) => a - b),
    };
  } finally {
    await pool.close().catch(() => {});
  }
}
