// SSE clients for the fault suite and the soak, run as a child process (its own event loop
// and its own open-files budget): stock `eventsource` EventSources, which reconnect with
// Last-Event-ID after a dropped connection exactly as a browser does. A browser's EventSource
// also gives up for good on an HTTP error (a 503 from a gateway still starting): a page
// would then open a new one with `?lastEventId=`, and so do these clients, counting it.
// Driven over IPC (FleetCommand / FleetReply in sse-fleet.ts).
import { EventSource } from 'eventsource';
import { eventTypes } from '../../schemas/index.ts';
import { blankStats, type FleetCommand, type FleetReply, type FleetStats } from './sse-fleet.ts';

interface Client {
  channels: string[];
  /** The stream's URL on each gateway node. */
  urls: string[];
  /** The node (index in `urls`) it is connected or connecting to. */
  node: number;
  es: EventSource | undefined;
  lastId: string | undefined;
  /** Event id → first arrival (ms epoch); full mode only. */
  arrivals: Map<string, number>;
  /** Event id → extra deliveries; full mode only. */
  repeats: Map<string, number>;
  lastSeq: Map<string, number>;
  open: boolean;
}

const clients: Client[] = [];
/** Aggregates a light-mode client remembers (the most recently seen). */
const lightAggregates = 2_000;
let light = false;
let stats: FleetStats = blankStats();
const send = (m: FleetReply) => process.send!(m);

function onEvent(c: Client, data: string, lastEventId: string): void {
  c.lastId = lastEventId || c.lastId;
  const e = JSON.parse(data) as { id: string; aggregateType: string; aggregateId: string; sequence: number };
  const aggregate = `${e.aggregateType}:${e.aggregateId}`;
  const last = c.lastSeq.get(aggregate);
  stats.events++;
  if (!light) {
    if (c.arrivals.has(e.id)) {
      c.repeats.set(e.id, (c.repeats.get(e.id) ?? 0) + 1);
      stats.repeated++;
      return;
    }
    c.arrivals.set(e.id, Date.now());
  } else if (last !== undefined && e.sequence <= last) {
    // Without ids kept, a sequence at or below the last one is a repeat (or out of order).
    stats.repeated++;
    return;
  }
  if (last !== undefined && e.sequence <= last) stats.outOfOrder++;
  if (last !== undefined && e.sequence > last + 1) stats.gaps += e.sequence - last - 1;
  if (last === undefined || e.sequence > last) {
    // Most recent last (a Map keeps insertion order): light mode forgets the aggregates not
    // heard of for longest, so that a long soak measures the platform, not this bookkeeping.
    c.lastSeq.delete(aggregate);
    c.lastSeq.set(aggregate, e.sequence);
    if (light && c.lastSeq.size > lightAggregates) c.lastSeq.delete(c.lastSeq.keys().next().value!);
  }
}

/** How long a client waits before opening a stream on the next node (the gateway's retry hint). */
const failoverDelayMs = 500;

function connect(c: Client, resumeFrom?: string): void {
  const base = c.urls[c.node]!;
  const url = resumeFrom ? `${base}&lastEventId=${encodeURIComponent(resumeFrom)}` : base;
  const es = new EventSource(url);
  c.es = es;
  let opened = false;
  es.onopen = () => {
    if (opened || resumeFrom) stats.reconnects++;
    opened = true;
    c.open = true;
  };
  es.onerror = (ev: { code?: number; message?: string }) => {
    c.open = false;
    if (c.es !== es) return;
    if (c.urls.length > 1) {
      // Behind a load balancer the next connection lands on another node, resuming there.
      es.close();
      stats.failovers++;
      c.node = (c.node + 1) % c.urls.length;
      setTimeout(() => {
        if (c.es === es) connect(c, c.lastId);
      }, failoverDelayMs).unref();
      return;
    }
    if (es.readyState !== EventSource.CLOSED) return;
    // Given up for good (an HTTP status, as a browser does): a new one resumes where it was.
    stats.gaveUp++;
    const key = String(ev.code ?? ev.message ?? 'error');
    stats.gaveUpStatuses[key] = (stats.gaveUpStatuses[key] ?? 0) + 1;
    setTimeout(() => {
      if (c.es === es) connect(c, c.lastId);
    }, 1_000).unref();
  };
  for (const type of eventTypes) {
    es.addEventListener(type, (m) => onEvent(c, m.data, m.lastEventId));
  }
  es.addEventListener('checkpoint', (m) => {
    c.lastId = m.lastEventId || c.lastId;
  });
  es.addEventListener('reset', (m) => {
    c.lastId = m.lastEventId || c.lastId;
    stats.resets++;
    const reason = (JSON.parse(m.data) as { reason?: string }).reason ?? '?';
    stats.resetReasons[reason] = (stats.resetReasons[reason] ?? 0) + 1;
  });
  es.addEventListener('disconnect', () => {
    stats.disconnects++;
  });
}

process.on('message', async (m: FleetCommand) => {
  if (m.cmd === 'open') {
    light = m.light;
    for (const spec of m.clients) {
      const q = new URLSearchParams({ channels: spec.channels.join(','), token: spec.token });
      const c: Client = {
        channels: spec.channels,
        urls: m.baseUrls.map((u) => `${u}/v1/stream?${q}`),
        node: (spec.node ?? 0) % m.baseUrls.length,
        es: undefined,
        lastId: undefined,
        arrivals: new Map(),
        repeats: new Map(),
        lastSeq: new Map(),
        open: false,
      };
      clients.push(c);
      connect(c);
    }
    send({ reply: 'opened' });
  } else if (m.cmd === 'open-count') {
    const byNode = Array.from({ length: clients[0]?.urls.length ?? 1 }, () => 0);
    for (const c of clients) if (c.open) byNode[c.node]!++;
    send({
      reply: 'open-count',
      open: clients.filter((c) => c.open).length,
      total: clients.length,
      byNode,
    });
  } else if (m.cmd === 'seen') {
    const mine = clients.filter((c) => c.channels.includes(m.channel));
    const times = mine.map((c) => c.arrivals.get(m.id)).filter((t): t is number => t !== undefined);
    send({ reply: 'seen', expected: mine.length, got: times.length, lastAt: Math.max(0, ...times) });
  } else if (m.cmd === 'lateness') {
    // The longest wait of any client for an event, from its commit (same machine, same clock).
    let worst = { ms: 0, id: '' };
    for (const c of clients) {
      for (const [id, at] of c.arrivals) {
        const committed = m.commits[id];
        if (committed !== undefined && at - committed > worst.ms) worst = { ms: at - committed, id };
      }
    }
    send({ reply: 'lateness', ...worst });
  } else if (m.cmd === 'check') {
    let missing = 0;
    let duplicates = 0;
    const sample: string[] = [];
    for (const c of clients) {
      for (const channel of c.channels) {
        for (const id of m.expected[channel] ?? []) {
          if (!c.arrivals.has(id)) {
            missing++;
            if (sample.length < 5) sample.push(`${channel} ${id}`);
          }
          duplicates += c.repeats.get(id) ?? 0;
        }
      }
    }
    send({ reply: 'check', missing, duplicates, sample });
  } else if (m.cmd === 'stats') {
    send({ reply: 'stats', stats, open: clients.filter((c) => c.open).length });
    stats = blankStats();
  } else if (m.cmd === 'close') {
    for (const c of clients) {
      const es = c.es;
      c.es = undefined;
      es?.close();
    }
    send({ reply: 'closed' });
  }
});
process.on('disconnect', () => process.exit(0));
