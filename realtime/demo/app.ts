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
declare function atob(data: string): string;
declare const location: { href: string; origin: string; search: string };
declare const history: { replaceState(state: null, unused: string, url: URL): void };

const $ = (id: string) => document.getElementById(id)!;
const form = $('connect');
const channelsInput = $('channels');
const tokenInput = $('token');
const feed = $('feed');
const notices = $('notices');
const status = $('status');
const toInput = $('to');
const messageInput = $('message');
const typingLine = $('typing');
const online = $('online');
let client: StreamClient | undefined;
let count = 0;
let token = '';
let channels: string[] = [];
/** Who is typing at me, and the timer that forgets them if their "stopped" never comes. */
const typists = new Map<string, ReturnType<typeof setTimeout>>();
/** Channel → its members (subject → streams), from `GET /v1/presence`. */
const members = new Map<string, { subject: string; connections: number }[]>();

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

/** The token's subject (its payload is base64url JSON; the gateway verified the signature). */
function subjectOf(jwt: string): string {
  try {
    const part = (jwt.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/');
    return String((JSON.parse(atob(part)) as { sub?: unknown }).sub ?? 'me');
  } catch {
    return 'me';
  }
}

function showTyping(who: string, typing: boolean): void {
  clearTimeout(typists.get(who));
  typists.delete(who);
  // A "stopped" that never comes (the typist closed the tab) is forgotten after 6 s.
  if (typing)
    typists.set(
      who,
      setTimeout(() => showTyping(who, false), 6_000),
    );
  const names = [...typists.keys()];
  typingLine.dataset.typing = names.join(',');
  typingLine.textContent =
    names.length === 0 ? '' : `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} typing…`;
}

async function publishTyping(typing: boolean): Promise<void> {
  const to = toInput.value.trim();
  if (!to || !token) return;
  const conversationId = [subjectOf(token), to].sort().join('~');
  const res = await fetch('/v1/publish', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'chat.typing', payload: { conversationId, recipientIds: [to], typing } }),
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { message?: string };
    notice(`typing indicator refused (${res.status}): ${body.message ?? ''}`);
  }
}

async function refreshPresence(channel: string): Promise<void> {
  const res = await fetch(`/v1/presence?channel=${encodeURIComponent(channel)}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  // 403: the token holds no presence claim for this channel; it is simply not shown.
  if (!res.ok) return;
  members.set(
    channel,
    ((await res.json()) as { members: { subject: string; connections: number }[] }).members,
  );
  online.replaceChildren();
  for (const [ch, list] of members) {
    for (const m of list) {
      const li = document.createElement('li');
      li.dataset.channel = ch;
      li.dataset.subject = m.subject;
      li.textContent = `${m.subject} on ${ch} (${m.connections} ${m.connections === 1 ? 'stream' : 'streams'})`;
      online.append(li);
    }
  }
}

let typingSentAt = 0;
let stopTimer: ReturnType<typeof setTimeout> | undefined;
messageInput.addEventListener('input', () => {
  // At most one "typing" every 2 s while keys come, and one "stopped" 3 s after the last key.
  if (Date.now() - typingSentAt > 2_000) {
    typingSentAt = Date.now();
    void publishTyping(true);
  }
  clearTimeout(stopTimer);
  stopTimer = setTimeout(() => {
    typingSentAt = 0;
    void publishTyping(false);
  }, 3_000);
});

function connect(list: string[], jwt: string): void {
  client?.close();
  feed.replaceChildren();
  online.replaceChildren();
  members.clear();
  count = 0;
  channels = list;
  token = jwt;
  const url = new URL(location.href);
  url.search = new URLSearchParams({ channels: channels.join(','), token }).toString();
  history.replaceState(null, '', url);
  client = createStreamClient({ url: location.origin, channels, token });
  client.onStatus((s) => {
    status.textContent = s;
    status.dataset.status = s;
  });
  client.on('chat.typing', (e) => showTyping(e.actor ?? 'someone', e.payload.typing));
  client.on('presence.joined', (e) => void refreshPresence(e.channel));
  client.on('presence.left', (e) => void refreshPresence(e.channel));
  for (const ch of channels) void refreshPresence(ch);
  client.onAny((e) => {
    // Typing indicators and presence have their own panels.
    if (e.type === 'chat.typing' || e.type === 'presence.joined' || e.type === 'presence.left') return;
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
