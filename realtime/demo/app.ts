import { type AnyStreamEvent, createStreamClient, type StreamClient } from '../client/index.ts';

// The demo page's script: served by the gateway with types stripped, so it runs in any
// browser. The feed items carry data attributes that the browser test reads. The project
// compiles without the DOM library, so the few browser APIs used are declared here.

interface El {
  textContent: string | null;
  className: string;
  innerHTML: string;
  value: string;
  dataset: Record<string, string>;
  children: ArrayLike<El>;
  append(...nodes: El[]): void;
  replaceChildren(): void;
  requestSubmit(): void;
  addEventListener(type: string, listener: (event: { preventDefault(): void }) => void): void;
}
declare const document: { getElementById(id: string): El | null; createElement(tag: string): El };
declare const location: { href: string; origin: string; search: string };
declare const history: { replaceState(state: null, unused: string, url: URL): void };

const $ = (id: string) => document.getElementById(id)!;
const form = $('connect');
const channelsInput = $('channels');
const tokenInput = $('token');
const feed = $('feed');
const notices = $('notices');
const status = $('status');
let client: StreamClient | undefined;
let count = 0;

function summary(e: AnyStreamEvent): string {
  switch (e.type) {
    case 'booking.created':
    case 'booking.confirmed':
    case 'booking.cancelled':
      return `${e.payload.reference} · ${e.payload.guest.name}`;
    case 'message.created':
    case 'message.edited':
      return e.payload.body.slice(0, 80);
    case 'notification.created':
      return e.payload.title;
    default:
      return '';
  }
}

function notice(text: string): void {
  const li = document.createElement('li');
  li.className = 'notice';
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  notices.append(li);
}

function connect(channels: string[], token: string): void {
  client?.close();
  feed.replaceChildren();
  count = 0;
  const url = new URL(location.href);
  url.search = new URLSearchParams({ channels: channels.join(','), token }).toString();
  history.replaceState(null, '', url);
  client = createStreamClient({ url: location.origin, channels, token });
  client.onStatus((s) => {
    status.textContent = s;
    status.dataset.status = s;
  });
  client.onAny((e) => {
    const li = document.createElement('li');
    li.dataset.id = e.id;
    li.dataset.type = e.type;
    li.dataset.aggregate = `${e.aggregateType}:${e.aggregateId}`;
    li.dataset.sequence = String(e.sequence);
    li.dataset.channel = e.channel;
    // What a page reports to find the event's trace (emit → every group's handler span).
    if (e.traceId) li.dataset.traceId = e.traceId;
    li.innerHTML = '<strong></strong> <code></code> <span></span>';
    li.children[0]!.textContent = e.type;
    li.children[1]!.textContent = `${e.channel} ${e.aggregateId}#${e.sequence}`;
    li.children[2]!.textContent = summary(e);
    feed.append(li);
    $('count').textContent = String(++count);
    $('duplicates').textContent = String(client?.duplicates ?? 0);
  });
  client.onReset((r) => notice(`reset (${r.reason}): ${r.message} — refetch state`));
  client.onGap((g) => notice(`sequence jump on ${g.aggregate}: expected ${g.expected}, got ${g.got}`));
  client.onDisconnect((d) => notice(`disconnected by the gateway (${d.reason}); resuming`));
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  connect(
    channelsInput.value
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean),
    tokenInput.value.trim(),
  );
});

const params = new URLSearchParams(location.search);
channelsInput.value = params.get('channels') ?? '';
tokenInput.value = params.get('token') ?? '';
if (channelsInput.value && tokenInput.value) form.requestSubmit();
