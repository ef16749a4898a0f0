import type { KafkaClient } from '../../core/kafka/index.ts';
import { waitFor } from '../../core/wait.ts';
import { type Fault, type FaultContext, hold, killAndAwaitRestart } from './faults.ts';
import { indexOf, type PlatformProcess, roleOf } from './platform.ts';
import { loadTopics } from './witness.ts';

/** The events topic holding the most records, and how many partitions of it each broker leads. */
async function busiestTopic(kafka: KafkaClient) {
  return kafka.withAdmin(async (admin) => {
    let busiest = { topic: '', records: -1n };
    for (const topic of loadTopics) {
      const records = (await admin.partitionBounds(topic)).reduce((n, b) => n + b.high - b.low, 0n);
      if (records > busiest.records) busiest = { topic, records };
    }
    const led = new Map<number, number>();
    for (const p of await admin.partitionReplicas(busiest.topic))
      led.set(p.leader, (led.get(p.leader) ?? 0) + 1);
    const [node, count] = [...led].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]!;
    return { ...busiest, node, count, partitions: [...led.values()].reduce((n, x) => n + x, 0) };
  });
}

/**
 * Kills KRaft node `node` and keeps it down `holdMs`, then starts it again with the stack's own
 * code in the background: the cluster must serve without it, so recovery counts from the kill.
 * `elected` is timed from the kill (up to 60 s, or until the node is back).
 */
async function killNode(
  ctx: FaultContext,
  node: number,
  elected: () => Promise<boolean>,
): Promise<{ pid: number; killedAt: number; settled: Promise<string> }> {
  const pid = await ctx.stack.killKafkaNode(node);
  const killedAt = Date.now();
  let back = false;
  const election = waitFor(elected, {
    timeoutMs: 60_000,
    intervalMs: 100,
    what: 'a new leader',
    abort: () => (back ? 'the node came back first' : undefined),
  }).then(
    () => `elected ${Date.now() - killedAt} ms after the kill`,
    (e: Error) => `not elected (${e.message.replace(/^.*: /, '')})`,
  );
  await hold(ctx.holdMs);
  const restartedAt = Date.now();
  const restart = ctx.stack.up().then(
    () => `restarted by stackUp after a ${ctx.holdMs} ms hold, up in ${Date.now() - restartedAt} ms`,
    (e: Error) => `restart FAILED: ${e.message}`,
  );
  const settled = restart.then(async (restarted) => {
    back = true;
    return `${await election}; ${restarted}`;
  });
  return { pid, killedAt, settled };
}

/** kill -9 of the broker leading the most partitions of the busiest events topic, then back. */
const brokerLeader: Fault = {
  name: 'kill -9 the busiest leader broker',
  async inject(ctx) {
    const busy = await busiestTopic(ctx.kafka);
    ctx.killedNodes.set('kill -9 the busiest leader broker', busy.node);
    const r = await killNode(ctx, busy.node, async () => {
      const ps = await ctx.kafka.withAdmin((a) => a.partitionReplicas(busy.topic));
      return ps.length > 0 && ps.every((p) => p.leader >= 0 && p.leader !== busy.node);
    });
    return {
      restoredAt: r.killedAt,
      downMs: 0,
      detail:
        `node ${busy.node} (pid ${r.pid}) led ${busy.count} of ${busy.partitions} partitions of ${busy.topic} ` +
        `(the busiest, ${busy.records} records); SIGKILLed; recovery counts from the kill`,
      settled: r.settled.then((s) => `new leaders for every partition: ${s}`),
    };
  },
};

/** kill -9 of the active KRaft controller (the metadata quorum's leader), then back. */
const controller: Fault = {
  name: 'kill -9 the active controller',
  async inject(ctx) {
    const quorum = await ctx.kafka.withAdmin((a) => a.describeQuorum());
    const node = quorum.leaderId;
    const earlier = [...ctx.killedNodes].filter(([, n]) => n === node).map(([f]) => f);
    ctx.killedNodes.set('kill -9 the active controller', node);
    let next: number | undefined;
    const r = await killNode(ctx, node, async () => {
      const q = await ctx.kafka.withAdmin((a) => a.describeQuorum());
      if (q.leaderId < 0 || q.leaderId === node) return false;
      next = q.leaderId;
      return true;
    });
    return {
      restoredAt: r.killedAt,
      downMs: 0,
      detail:
        `node ${node} (pid ${r.pid}) led the metadata quorum (voters ${quorum.voters.join(',')}, epoch ${quorum.leaderEpoch})` +
        `${earlier.length > 0 ? `, the same node as in '${earlier.join("', '")}'` : ', not a node killed before'}; SIGKILLed; recovery counts from the kill`,
      settled: r.settled.then((s) => `new controller${next === undefined ? '' : ` (node ${next})`}: ${s}`),
    };
  },
};

/** The last process of each consumer group (`notifications-2`, …): the others stay up. */
function lastMembers(processes: readonly PlatformProcess[]): PlatformProcess[] {
  const last = new Map<string, PlatformProcess>();
  for (const p of processes)
    if (roleOf(p) !== 'realtime' && indexOf(p) >= indexOf(last.get(roleOf(p)) ?? p)) last.set(roleOf(p), p);
  return [...last.values()];
}

/** kill -9 of one member of every group at once; the others take over, the supervisor restarts them. */
const members: Fault = {
  name: 'kill -9 one member of each group',
  async inject({ platform }) {
    const { killedAt, detail } = await killAndAwaitRestart(platform, lastMembers(platform.processes));
    return { restoredAt: killedAt, downMs: 0, detail };
  },
};

/**
 * kill -9 of the last gateway node with clients connected to it: they fail over to the other
 * node(s) with `?lastEventId=`; the supervisor restarts the node.
 */
const gatewayNode: Fault = {
  name: 'kill -9 one gateway node',
  async inject({ platform, fleet }) {
    const nodes = platform.processes.filter((p) => roleOf(p) === 'realtime');
    const target = nodes.at(-1)!;
    const before = await fleet.openByNode();
    const total = before.reduce((n, x) => n + x, 0);
    const { killedAt, detail } = await killAndAwaitRestart(platform, [target]);
    const resumed = await waitFor(async () => (await fleet.openCount()) === total, {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: 'every SSE client to be connected again',
    }).then(
      () => Date.now() - killedAt,
      () => undefined,
    );
    return {
      restoredAt: killedAt,
      downMs: 0,
      detail:
        `${target}: ${detail}; clients per node before [${before.join(', ')}], after [${(await fleet.openByNode()).join(', ')}]; ` +
        `every client connected again ${resumed === undefined ? 'NOT within 60 s' : `${resumed} ms after the kill`}`,
    };
  },
};

/** The faults of the cluster profile (`npm run test:cluster`), by the name `--faults` takes. */
export const clusterFaults: Readonly<Record<string, Fault>> = {
  'broker-leader': brokerLeader,
  controller,
  members,
  'gateway-node': gatewayNode,
};
