// The LAN dashboard: one WebSocket (/ws/ucid/{city}) plus the JSON API; no build step, nothing from the internet.
import { LiveChart } from './chart.js';

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('data-')) node.setAttribute(k, v);
    else node[k] = v;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
};

const state = {
  city: null, scores: new Map(), fresh: new Set(), alerts: new Map(), history: [], status: null,
  sensors: new Map(), series: null, socket: null, lastMessageAt: 0,
  /**
   * The series being loaded: { sensor, metric, live, confirmed }. `live`: its readings that came meanwhile, drawn
   * again over the history; `confirmed`: ends the wait for the gateway's `subscribed`.
   */
  seriesLoad: null,
};
/** How long a series' history waits for `subscribed` (a socket that closed meanwhile reconnects and selects again). */
const SUBSCRIBED_WAIT_MS = 5000;
const chart = new LiveChart($('chart'));
window.ucidDashboard = { state, chart };

const span = (ms) => {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
};
const ago = (at) => (at === null || at === undefined ? 'never' : `${span(Date.now() - at)} ago`);
const RANK = { critical: 2, warning: 1, info: 0 };
const bytes = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);
const time = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

// --- connection -----------------------------------------------------------------------------------------
let retries = 0;

async function boot() {
  const params = new URLSearchParams(location.search);
  let city = params.get('city');
  if (!city) {
    const res = await fetch('/api/status');
    if (res.status === 401) return location.replace('/');
    city = (await res.json()).city;
  }
  state.city = city.toUpperCase();
  $('city').textContent = state.city;
  connect();
  setInterval(tick, 1000);
  setInterval(refreshSensors, 60_000);
}

function connect() {
  setConnection(retries ? 'reconnecting' : 'connecting');
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/ucid/${state.city}`);
  state.socket = socket;
  socket.onopen = () => {
    retries = 0;
    state.lastMessageAt = Date.now();
    setConnection('live');
  };
  socket.onmessage = (event) => {
    state.lastMessageAt = Date.now();
    try {
      handle(JSON.parse(event.data));
    } catch (err) {
      console.error('bad message', err);
    }
  };
  socket.onclose = () => {
    if (state.socket !== socket) return;
    state.socket = null;
    setConnection('reconnecting');
    const delay = Math.min(10_000, 500 * 2 ** retries++) * (0.75 + Math.random() / 2);
    setTimeout(connect, delay);
    fetch('/api/status').then((res) => res.status === 401 && location.replace('/'), () => undefined);
  };
}

function send(message) {
  if (state.socket?.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(message));
}

function setConnection(s) {
  const node = $('connection');
  node.dataset.state = s;
  node.textContent = s === 'live' ? 'live' : s === 'connecting' ? 'connecting…' : 'reconnecting…';
}

function tick() {
  const socket = state.socket;
  if (socket?.readyState === WebSocket.OPEN) {
    if (Date.now() - state.lastMessageAt > 60_000) socket.close();
    else if (Date.now() - state.lastMessageAt > 20_000) send({ type: 'ping' });
  }
  if (state.status) renderStatus();
}

// --- messages -------------------------------------------------------------------------------------------
function handle(m) {
  switch (m.type) {
    case 'initial': return onInitial(m.data);
    case 'score_update': return onScore(m, true);
    case 'alert': return onAlert(m, true);
    case 'reading': return onReading(m);
    case 'status':
      state.status = m.data;
      return renderStatus();
    case 'subscribed': return onSubscribed(m);
    case 'error': return console.warn('gateway says', m.error, m.message);
    default: return undefined;
  }
}

function onInitial(d) {
  $('gateway-id').textContent = d.gateway_id;
  state.scores.clear();
  for (const s of d.scores) onScore(s, false);
  state.alerts.clear();
  for (const a of d.alerts) state.alerts.set(a.key, a);
  state.history = d.alert_history;
  for (const r of d.sensors) state.sensors.set(`${r.sensor_id}|${r.metric}`, r);
  state.status = d;
  renderScores();
  renderAlerts();
  renderStatus();
  const had = state.series;
  renderSeriesOptions();
  if (had) selectSeries(had);
}

function onScore(s, live) {
  const key = `${s.h3_index}|${s.context}`;
  const known = state.scores.get(key);
  if (known && known.timestamp > s.timestamp) return;
  state.scores.set(key, s);
  if (live) {
    state.fresh.add(key);
    renderScores();
  }
}

function onAlert(a, live) {
  const current = state.alerts.get(a.key);
  if (a.state === 'cleared') {
    if (!current || current.timestamp <= a.timestamp) state.alerts.delete(a.key);
  } else if (!current || current.event_id === a.event_id || current.timestamp <= a.timestamp) state.alerts.set(a.key, a);
  state.history = [a, ...state.history.filter((h) => h.event_id !== a.event_id)].slice(0, 50);
  if (live) renderAlerts();
}

function onReading(r) {
  const key = `${r.sensor_id}|${r.metric}`;
  const isNew = !state.sensors.has(key);
  state.sensors.set(key, r);
  if (isNew) renderSeriesOptions();
  if (key === state.series) {
    state.seriesLoad?.live.push(r);
    chart.push(r.ts, r.value);
    showLast(r);
  }
}

// --- scores grid ----------------------------------------------------------------------------------------
function cellLabel(s) {
  const [, , lat, lon] = s.ucid.split(':');
  return el('td', { class: 'cell-name' }, el('span', { class: 'coords', textContent: `${Number(lat).toFixed(3)}, ${Number(lon).toFixed(3)}` }),
    el('span', { class: 'h3', textContent: s.h3_index }));
}

function scoreCell(s, key) {
  if (!s) return el('td', { class: 'muted', textContent: '–' });
  const delta = s.previous_score === null ? null : s.score - s.previous_score;
  const dir = delta === null || Math.abs(delta) < 0.5 ? 'flat' : delta > 0 ? 'up' : 'down';
  const arrow = { up: '▲', down: '▼', flat: '▬' }[dir];
  const td = el('td', { class: state.fresh.has(key) ? 'fresh' : '', 'data-key': key },
    el('div', { class: 'score', title: s.ucid },
      el('span', { class: 'value', textContent: Math.round(s.score) }),
      el('span', { class: 'grade', 'data-grade': s.grade, textContent: s.grade })),
    el('div', { class: 'meta' },
      el('span', { class: `trend ${dir}`, title: 'change since the previous window', textContent: delta === null ? 'new' : `${arrow} ${delta > 0 ? '+' : ''}${delta.toFixed(1)}` }),
      el('span', { class: 'conf', textContent: ` · conf ${s.confidence.toFixed(2)}` }),
      el('span', { class: 'at', textContent: ` · ${time(s.timestamp)}` }),
      ...s.flags.map((f) => el('span', { class: 'flag', textContent: f }))));
  td.addEventListener('click', () => {
    $('ucid').hidden = false;
    $('ucid').textContent = s.ucid;
  });
  return td;
}

function renderScores() {
  const contexts = [...new Set([...state.scores.values()].map((s) => s.context))].sort();
  const cells = new Map();
  for (const s of state.scores.values()) if (!cells.has(s.h3_index) || s.timestamp > cells.get(s.h3_index).timestamp) cells.set(s.h3_index, s);
  const head = $('scores').tHead.rows[0];
  head.replaceChildren(el('th', { scope: 'col', textContent: 'Cell' }), ...contexts.map((c) => el('th', { scope: 'col', textContent: c })));
  const body = $('scores').tBodies[0];
  const rows = [...cells.values()].sort((a, b) => a.ucid.split(':')[2] - b.ucid.split(':')[2] || a.h3_index.localeCompare(b.h3_index));
  body.replaceChildren(...(rows.length ? rows.map((cell) => el('tr', {}, cellLabel(cell),
    ...contexts.map((c) => scoreCell(state.scores.get(`${cell.h3_index}|${c}`), `${cell.h3_index}|${c}`))))
    : [el('tr', { class: 'empty' }, el('td', { textContent: 'Waiting for the first closed window…' }))]));
  state.fresh.clear();
  const newest = [...state.scores.values()].reduce((t, s) => (s.timestamp > t ? s.timestamp : t), '');
  $('scores-updated').textContent = newest ? `window ending ${time(newest)}` : '';
}

// --- alerts ---------------------------------------------------------------------------------------------
async function acknowledge(alert, button) {
  button.disabled = true;
  const res = await fetch(`/api/alerts/${encodeURIComponent(alert.event_id)}/ack`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ by: localStorage.getItem('ucid.name') || 'dashboard' }),
  }).catch(() => null);
  if (res?.ok) onAlert(await res.json(), true);
  else button.disabled = false;
}

function renderAlerts() {
  const active = [...state.alerts.values()].sort((a, b) => RANK[b.level] - RANK[a.level] || b.timestamp.localeCompare(a.timestamp));
  $('alert-count').textContent = String(active.length);
  $('alert-count').classList.toggle('hot', active.length > 0);
  $('alerts').replaceChildren(...(active.length ? active.map((a) => {
    const ack = a.acknowledged
      ? el('span', { class: 'muted small', textContent: `✓ ack by ${a.acknowledged.by}` })
      : el('button', { type: 'button', textContent: 'Acknowledge', onclick: (e) => acknowledge(a, e.currentTarget) });
    return el('li', { 'data-level': a.level, 'data-kind': a.kind, 'data-event': a.event_id },
      el('div', { class: 'alert-head' }, el('span', { class: `level ${a.level}`, textContent: `${a.level} · ${a.kind}${a.context ? ` · ${a.context}` : ''}` }), ack),
      el('div', { textContent: a.message }),
      el('div', { class: 'muted small', textContent: `${a.state} ${time(a.timestamp)}` }));
  }) : [el('li', { class: 'empty', textContent: 'No active alerts' })]));
  $('alert-history').replaceChildren(...state.history.slice(0, 30).map((a) =>
    el('li', { 'data-state': a.state }, `${time(a.timestamp)} · ${a.state} · ${a.level} · ${a.message}`)));
}

// --- drivers, uplink, broker ----------------------------------------------------------------------------
function renderStatus() {
  const s = state.status;
  const errors = (e) => Object.entries(e).map(([k, v]) => `${k} ${v}`).join(', ') || '0';
  $('drivers').tBodies[0].replaceChildren(...s.drivers.map((d) => el('tr', { 'data-driver': d.name },
    el('td', {}, d.name, el('span', { class: 'type', textContent: d.type })),
    el('td', {}, el('span', { class: 'state', 'data-state': d.state, textContent: d.state, title: d.detail ?? '' })),
    el('td', { textContent: ago(d.last_reading_at) }),
    el('td', { textContent: errors(d.errors) }))));
  const sync = s.sync;
  const uplink = !sync.configured ? 'local' : { online: 'connected', offline: 'disconnected' }[sync.state] ?? sync.state;
  $('uplink-state').dataset.state = uplink;
  $('uplink-state').textContent = uplink === 'local' ? 'no uplink configured' : uplink;
  $('backlog-events').textContent = `${sync.backlog_events.toLocaleString()} events`;
  $('backlog-bytes').textContent = bytes(sync.backlog_bytes);
  $('backlog-age').textContent = sync.oldest_age_ms === null ? 'nothing waiting' : span(sync.oldest_age_ms);
  $('uplink-error').textContent = sync.last_error ?? '–';
  $('broker-clients').textContent = s.broker.enabled ? String(s.broker.clients) : 'broker off';
  $('broker-port').textContent = s.broker.port ?? '–';
  $('ws-clients').textContent = String(s.websocket_clients);
  $('started-at').textContent = new Date(s.started_at).toLocaleString();
}

// --- chart series ---------------------------------------------------------------------------------------
function renderSeriesOptions() {
  const select = $('series');
  const keys = [...state.sensors.keys()].sort();
  if (!keys.length) return;
  select.replaceChildren(...keys.map((k) => el('option', { value: k, textContent: k.replace('|', ' · ') })));
  if (!state.series || !state.sensors.has(state.series)) {
    selectSeries(keys.find((k) => k.endsWith('|pm25')) ?? keys[0]);
  }
  select.value = state.series;
}

async function selectSeries(key) {
  state.series = key;
  $('series').value = key;
  const [sensor, metric] = key.split('|');
  state.seriesLoad?.confirmed();
  const load = { sensor, metric, live: [], confirmed: () => {} };
  state.seriesLoad = load;
  // the history is read once the gateway sends this series' readings: a reading committed in between is in one or the other
  await subscribeToSeries(load);
  if (state.seriesLoad !== load) return;
  const res = await fetch(`/api/readings?sensor=${encodeURIComponent(sensor)}&metric=${encodeURIComponent(metric)}&since=1h`).catch(() => null);
  const h = res?.ok ? await res.json().catch(() => null) : null;
  if (state.seriesLoad !== load) return;
  state.seriesLoad = null;
  if (!h) return;
  chart.reset(h.points, key.replace('|', ' · '), h.unit);
  for (const r of load.live) chart.push(r.ts, r.value);
  const last = chart.last();
  if (last) showLast({ ts: last.ts, value: last.value, unit: h.unit });
}

function subscribeToSeries(load) {
  if (state.socket?.readyState !== WebSocket.OPEN) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, SUBSCRIBED_WAIT_MS);
    load.confirmed = () => {
      clearTimeout(timer);
      resolve();
    };
    send({ type: 'subscribe', city: state.city, context: null, readings: true, sensor: load.sensor, metric: load.metric });
  });
}

function onSubscribed(m) {
  const load = state.seriesLoad;
  if (load && m.readings && m.sensor === load.sensor && m.metric === load.metric) load.confirmed();
}

function showLast(r) {
  $('chart-last').textContent = `last ${r.value}${r.unit ? ` ${r.unit}` : ''} at ${new Date(r.ts).toLocaleTimeString()} · ${chart.length} points`;
}

async function refreshSensors() {
  const res = await fetch(`/api/sensors?city=${state.city}`).catch(() => null);
  if (!res?.ok) return;
  for (const r of (await res.json()).sensors) state.sensors.set(`${r.sensor_id}|${r.metric}`, r);
  renderSeriesOptions();
}

$('series').addEventListener('change', (e) => selectSeries(e.target.value));
boot();
