// The ops console's page: Preact components written with htm (no build step), polling the
// console's JSON API. Everything shown is read from the same modules as the CLIs.
import htm from 'htm';
import { h, render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { Chart } from './charts.js';

const html = htm.bind(h);
const params = new URLSearchParams(location.search);
const all = params.get('all') === '1' ? '1' : '0';

function tokenHeader() {
  const t = sessionStorage.getItem('ops-token');
  return t ? { authorization: `Bearer ${t}` } : {};
}

async function getJson(path) {
  const res = await fetch(path, { headers: tokenHeader() });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  return body;
}

/** Polls `path` every `ms`; returns `{ data, error, at }`. */
function usePoll(path, ms) {
  const [state, setState] = useState({ data: undefined, error: undefined, at: 0 });
  useEffect(() => {
    let stopped = false;
    let timer;
    const tick = async () => {
      try {
        const data = await getJson(path);
        if (!stopped) setState({ data, error: undefined, at: Date.now() });
      } catch (e) {
        if (!stopped) setState((s) => ({ ...s, error: e.message, at: Date.now() }));
      }
      if (!stopped) timer = setTimeout(tick, ms);
    };
    tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [path, ms]);
  return state;
}

const mib = (b) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const secs = (ms) => (ms === null || ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);
const good = new Set(['ok', 'RUNNING', 'Stable', 'healthy', 'active']);
const badge = (s) =>
  html`<span class=${`badge ${good.has(s) || s === true ? 'ok' : 'bad'}`}>${String(s)}</span>`;

function Section({ title, id, state, children }) {
  return html`<section id=${id}>
    <h2>${title} ${state?.error ? html`<span class="badge bad" title=${state.error}>unavailable: ${state.error}</span>` : ''}</h2>
    ${state && state.data === undefined && !state.error ? html`<p class="muted">loading…</p>` : children}
  </section>`;
}

function Overview() {
  const s = usePoll('/api/overview', 5000);
  const d = s.data;
  return html`<${Section} title="Stack" id="stack" state=${s}>
    ${
      d &&
      html`<div class="cols">
      <table>
        <tr><th>component</th><th>health</th><th>url</th></tr>
        ${d.components.map(
          (c) => html`<tr data-testid=${`component-${c.component}`}>
            <td>${c.component}${c.managed === 'external' ? ' (external)' : ''}</td>
            <td>${badge(c.healthy ? 'healthy' : 'down')}</td><td class="mono">${c.url}</td>
          </tr>`,
        )}
        ${d.processes.map(
          (p) => html`<tr data-testid=${`process-${p.name}`}>
            <td>${p.name}</td><td>${badge(p.status)}</td><td class="mono">${p.url}${p.error ? ` (${p.error})` : ''}</td>
          </tr>`,
        )}
      </table>
      <div>
        <h3>Capture</h3>
        <p>connector <b>${d.capture.connector}</b> ${badge(d.capture.state)}</p>
        <ul>
          ${d.capture.tasks.map((t) => html`<li>task ${t.id} ${badge(t.state)} ${t.trace.length ? html`<pre>${t.trace.join('\n')}</pre>` : ''}</li>`)}
        </ul>
        ${
          d.capture.slot.missing
            ? html`<p>slot ${d.capture.slot.name}: ${badge('missing')}</p>`
            : html`<p data-testid="slot">slot <b>${d.capture.slot.name}</b> ${badge(d.capture.slot.active ? 'active' : 'INACTIVE')}
              lag <b>${mib(d.capture.slot.retainedBytes)}</b> (${d.capture.slot.retainedBytes} bytes),
              newest committed change <b>${secs(d.capture.slot.ageMs)}</b> old</p>`
        }
        ${
          d.capture.problems.length === 0
            ? html`<p>${badge('healthy')}</p>`
            : d.capture.problems.map(
                (p) => html`<p class="problem">${p.what}<br /><i>what to do: ${p.todo}</i></p>`,
              )
        }
      </div>
    </div>`
    }
  <//>`;
}

function Groups() {
  const s = usePoll(`/api/groups?all=${all}`, 2000);
  return html`<${Section} title="Consumer groups" id="groups" state=${s}>
    ${s.data?.groups.length === 0 ? html`<p class="muted">no consumer groups</p>` : ''}
    ${s.data?.groups.map(
      (
        g,
      ) => html`<details open class="group" data-testid=${`group-${g.group}`} data-lag=${g.totalLag} data-state=${g.state}>
        <summary><b>${g.group}</b> ${badge(g.state)} ${g.members} member(s), lag <b class="lag">${g.totalLag}</b>
          ${g.uncommitted ? `, ${g.uncommitted} partition(s) never committed` : ''} ${g.kind !== 'group' ? html`<i>(${g.kind})</i>` : ''}</summary>
        <table>
          <tr><th>topic</th><th>partition</th><th>committed</th><th>log end</th><th>lag</th><th>member</th></tr>
          ${g.partitions.map(
            (p) => html`<tr>
              <td>${p.topic}</td><td class="num">${p.partition}</td><td class="num">${p.committed ?? '-'}</td>
              <td class="num">${p.logEnd ?? '-'}</td><td class="num">${p.lag ?? '-'}</td><td class="mono">${p.member ?? '-'}</td>
            </tr>`,
          )}
        </table>
      </details>`,
    )}
  <//>`;
}

function Plots() {
  const s = usePoll('/api/series', 5000);
  const groups = Object.entries(s.data?.groups ?? {});
  return html`<${Section} title="Throughput and latency, last 15 minutes" id="plots" state=${s}>
    ${groups.length === 0 ? html`<p class="muted">no metrics scraped yet (the groups' /metrics, every ${(s.data?.intervalMs ?? 5000) / 1000} s)</p>` : ''}
    <div class="cols">
      ${groups.map(([group, points]) => {
        const x = points.map((p) => p.at / 1000);
        return html`<div class="plots" data-testid=${`plots-${group}`}>
          <h3>${group}</h3>
          <${Chart} testid=${`throughput-${group}`} title="events/s" unit="events/s" x=${x}
            lines=${[{ label: 'handled', values: points.map((p) => p.eventsPerSecond) }]} />
          <${Chart} testid=${`latency-${group}`} title="commit → handler, commit → effect (ms)" unit="ms" x=${x}
            lines=${[
              { label: 'p50 commit→handler', values: points.map((p) => p.p50Ms) },
              { label: 'p99 commit→handler', values: points.map((p) => p.p99Ms) },
              { label: 'mean commit→effect', values: points.map((p) => p.effectMeanMs) },
            ]} />
        </div>`;
      })}
    </div>
  <//>`;
}

function DeadLetters({ confirm }) {
  const s = usePoll(`/api/dead-letters?all=${all}&show=5`, 4000);
  const d = s.data;
  return html`<${Section} title="Dead letters" id="dead-letters" state=${s}>
    ${d?.topics.length === 0 ? html`<p class="muted">no dead-letter topics</p>` : ''}
    ${d?.topics.map(
      (
        t,
      ) => html`<div class="dlq" data-testid=${`dlq-${t.topic}`} data-pending=${t.pending} data-messages=${t.messages}>
        <h3>${t.topic} <span class="muted">group ${t.group}, from ${t.source}</span></h3>
        <p>${t.messages} dead letter(s), <b class="pending">${t.pending}</b> not replayed
          <button data-testid=${`replay-${t.topic}`} disabled=${t.pending === 0}
            onClick=${() =>
              confirm({
                title: `Replay ${t.pending} dead letter(s) of ${t.group}?`,
                text: `They go through ${t.group}'s own handlers (never back to ${t.source}); what fails again is dead-lettered again.`,
                path: '/api/dlq/replay',
                body: { group: t.group, topic: t.topic },
              })}>Replay…</button></p>
        ${
          (t.last ?? []).length > 0 &&
          html`<table>
          <tr><th>at</th><th>event</th><th>reason</th><th>attempts</th><th>error</th><th>payload</th></tr>
          ${t.last.map(
            (x) => html`<tr class="letter">
              <td class="mono">${x.partition}@${x.offset}<br />${x.deadLetteredAt}</td>
              <td>${x.event.type ?? '?'}<br /><span class="mono">key ${x.original.key ?? '-'}</span></td>
              <td>${x.reason ?? '?'}</td><td class="num">${x.attempts ?? '-'}</td>
              <td>${x.error.class ?? ''} ${x.error.message ?? ''}</td>
              <td><pre class="payload">${x.payload !== undefined ? JSON.stringify(x.payload, null, 1) : x.payloadError ? `cannot decode: ${x.payloadError}` : '-'}</pre></td>
            </tr>`,
          )}
        </table>`
        }
      </div>`,
    )}
    ${
      d?.blocked.length > 0 &&
      html`<h3>Keys held back (block-key groups)</h3>
      <table>
        <tr><th>group</th><th>topic</th><th>key</th><th>since</th><th></th></tr>
        ${d.blocked.map(
          (b) => html`<tr data-testid=${`blocked-${b.group}-${b.key}`}>
            <td>${b.group}</td><td>${b.topic}</td><td class="mono">${b.key}</td><td>${b.blockedAt}</td>
            <td><button onClick=${() =>
              confirm({
                title: `Release key ${b.key} of ${b.group}?`,
                text: 'Refused while the key has dead letters not replayed yet.',
                path: '/api/dlq/release-key',
                body: { group: b.group, topic: b.topic, key: b.key },
              })}>Release…</button></td>
          </tr>`,
        )}
      </table>`
    }
  <//>`;
}

function Schemas() {
  const s = usePoll('/api/schemas', 30000);
  return html`<${Section} title="Schema subjects" id="schemas" state=${s}>
    ${
      s.data &&
      html`<table>
      <tr><th>subject</th><th>compatibility</th><th>versions</th><th>latest id</th></tr>
      ${s.data.subjects.map(
        (x) => html`<tr data-testid=${`subject-${x.subject}`}>
          <td class="mono">${x.subject}${x.inCatalogue ? '' : html` <i>(not in the catalogue)</i>`}</td>
          <td>${x.level ?? '-'}${x.inherited ? ' (global)' : ''}</td><td>${x.versions.join(', ')}</td><td class="num">${x.latestId ?? '-'}</td>
        </tr>`,
      )}
    </table>`
    }
  <//>`;
}

function Topics() {
  const s = usePoll('/api/topics', 30000);
  return html`<${Section} title="Topic drift (npm run topics -- plan)" id="topics" state=${s}>
    ${
      s.data &&
      (s.data.changes.length === 0
        ? html`<p data-testid="topics-up-to-date">${badge('ok')} topics: up to date</p>`
        : html`<pre>${s.data.changes.map((c) => c.text).join('\n')}</pre><p>apply with <code>npm run topics -- apply</code></p>`)
    }
  <//>`;
}

function AsyncApi() {
  const [text, setText] = useState(undefined);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (open && text === undefined)
      fetch('/asyncapi.yaml', { headers: tokenHeader() })
        .then((r) => r.text())
        .then(setText, (e) => setText(`cannot load: ${e.message}`));
  }, [open]);
  return html`<section id="asyncapi">
    <h2>AsyncAPI document</h2>
    <p><a href="/asyncapi.yaml" download>asyncapi.yaml</a> (what a service may consume: topics, messages, keys, SSE channels)
      <button onClick=${() => setOpen(!open)}>${open ? 'hide' : 'show'}</button></p>
    ${open && html`<pre class="yaml">${text ?? 'loading…'}</pre>`}
  </section>`;
}

function ConfirmDialog({ pending, onDone }) {
  const [busy, setBusy] = useState(false);
  if (!pending) return null;
  const run = async () => {
    setBusy(true);
    let result;
    try {
      const res = await fetch(pending.path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...tokenHeader() },
        body: JSON.stringify(pending.body),
      });
      const body = await res.json().catch(() => ({}));
      result = res.ok
        ? { status: res.status, ok: true, text: summary(body) }
        : {
            status: res.status,
            ok: false,
            text: `${body.error?.code ?? ''} ${body.error?.message ?? `HTTP ${res.status}`}`,
          };
    } catch (e) {
      result = { status: 0, ok: false, text: e.message };
    }
    setBusy(false);
    onDone(result);
  };
  return html`<div class="overlay"><div class="dialog" role="dialog" aria-modal="true" data-testid="confirm-dialog">
    <h3>${pending.title}</h3><p>${pending.text}</p>
    <p class="muted">${sessionStorage.getItem('ops-token') ? 'with your operator token' : 'no operator token set: the console will refuse it'}</p>
    <button data-testid="confirm" disabled=${busy} onClick=${run}>${busy ? 'working…' : 'Confirm'}</button>
    <button data-testid="cancel" disabled=${busy} onClick=${() => onDone(undefined)}>Cancel</button>
  </div></div>`;
}

function summary(body) {
  if (body.result === 'released') return `released (blocked since offset ${body.blockedByOffset})`;
  if (body.result === 'not-blocked') return 'the key is not blocked (nothing to do)';
  if (body.result === 'refused')
    return `refused: ${body.pending.length} dead letter(s) of the key not replayed yet`;
  if (body.replayed !== undefined)
    return `replayed ${body.replayed}: ${body.processed ?? 0} processed, ${body.skipped ?? 0} skipped, ${body.deadLetteredAgain ?? 0} failed again${body.lines?.length ? `\n${body.lines.join('\n')}` : ''}`;
  return JSON.stringify(body);
}

function TokenBox() {
  const [token, setToken] = useState(sessionStorage.getItem('ops-token') ?? '');
  const save = useCallback((v) => {
    setToken(v);
    if (v) sessionStorage.setItem('ops-token', v.trim());
    else sessionStorage.removeItem('ops-token');
  }, []);
  return html`<label class="token">operator token
    <input type="password" data-testid="token" value=${token} placeholder="npm run -s token -- --sub you --ops '*'"
      onInput=${(e) => save(e.currentTarget.value)} /></label>`;
}

function App() {
  const [pending, setPending] = useState(undefined);
  const [result, setResult] = useState(undefined);
  return html`<header>
      <h1>Outstream ops console</h1>
      <nav><a href="#stack">stack</a> <a href="#groups">groups</a> <a href="#plots">plots</a> <a href="#dead-letters">dead letters</a>
        <a href="#schemas">schemas</a> <a href="#topics">topics</a> <a href="#asyncapi">AsyncAPI</a>
        <a href=${all === '1' ? '?' : '?all=1'}>${all === '1' ? 'hide' : 'show'} test groups</a></nav>
      <${TokenBox} />
    </header>
    ${
      result &&
      html`<div class=${`result ${result.ok ? 'ok' : 'bad'}`} data-testid="action-result" data-status=${result.status}>
      <pre>${result.text}</pre><button onClick=${() => setResult(undefined)}>×</button></div>`
    }
    <${Overview} /><${Groups} /><${Plots} /><${DeadLetters} confirm=${setPending} /><${Schemas} /><${Topics} /><${AsyncApi} />
    <${ConfirmDialog} pending=${pending} onDone=${(r) => {
      setPending(undefined);
      if (r) setResult(r);
    }} />`;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
