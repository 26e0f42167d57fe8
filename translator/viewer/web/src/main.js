// The viewer: wires the stream, SPARQL and the Thing Descriptions to the 3D view, the list
// and the panel. It uses only the public interfaces an engine would (docs/engines.md).

import { renderList } from './list.js';
import { Panel } from './panel.js';
import { SCENE_QUERY, THINGS_QUERY, historyQuery, select } from './sparql.js';
import { FINAL_STATUSES, StreamClient, streamUrl } from './stream.js';
import { Twin } from './twin.js';
import { SceneView } from './view.js';

const $ = (selector) => document.querySelector(selector);
const FOLLOW_EVERY_MS = 400;
const FOLLOW_FOR_MS = 60_000;
const token = new URLSearchParams(window.location.search).get('access_token');
const authHeaders = token ? { Authorization: `Bearer ${token}` } : {};

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: 'application/json', ...authHeaders } });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

function showStatus(state, detail = '') {
  const status = $('#status');
  status.dataset.state = state;
  status.textContent = detail ? `${state}: ${detail}` : state;
}

async function main() {
  const config = await getJson('config.json');
  const base = window.location.href;
  const sparqlUrl = new URL(config.sparql, base).toString();
  const thingsUrl = new URL(`${config.things}/`, base).toString();
  const staleAfterMs = config.staleAfterS * 1000;
  const twin = new Twin();
  let selected = null;
  let dirty = true;

  const view = new SceneView($('#view'), { onPick: (iri) => pick(iri), xrButtonHost: $('#xr') });
  const panel = new Panel($('#panel'), {
    onCommand: (thing, name, value) => stream.command(thing, name, value),
    onClose: () => pick(null),
  });

  async function describe() {
    try {
      const [things, scene] = await Promise.all([
        select(sparqlUrl, THINGS_QUERY, { token }),
        select(sparqlUrl, SCENE_QUERY, { token }),
      ]);
      twin.describe(things, scene);
      dirty = true;
    } catch (error) {
      console.warn('thing descriptions unavailable', error);
    }
  }

  async function pick(iri) {
    selected = iri;
    view.select(iri);
    dirty = true;
    if (!iri) {
      panel.close();
      return;
    }
    const thing = twin.thing(iri);
    panel.open(thing);
    const since = new Date(Date.now() - config.historyMinutes * 60_000);
    const [history, td] = await Promise.allSettled([
      select(sparqlUrl, historyQuery(iri, since), { token }),
      getJson(thingsUrl + encodeURIComponent(iri)),
    ]);
    if (history.status === 'fulfilled') twin.addHistory(iri, history.value);
    else console.warn('history unavailable', history.reason);
    if (td.status === 'fulfilled') panel.setDescription(iri, td.value);
    else console.warn('thing description unavailable', td.reason);
    panel.render(true);
  }

  // A status frame that is not final: follow the command's record over HTTP until it is
  // (a server that streams every status change makes this a no-op).
  const following = new Set();
  async function follow(id, status, frame) {
    const record = frame?.command;
    if (FINAL_STATUSES.includes(status) || !record?.id || following.has(id)) return;
    following.add(id);
    const url = `${thingsUrl}${encodeURIComponent(record.thing)}/commands/${encodeURIComponent(record.id)}`;
    const deadline = Date.now() + FOLLOW_FOR_MS;
    try {
      while (Date.now() < deadline && !FINAL_STATUSES.includes(stream.commands.get(id))) {
        await new Promise((resolve) => setTimeout(resolve, FOLLOW_EVERY_MS));
        const latest = await getJson(url);
        if (latest.status !== stream.commands.get(id)) stream.update(id, latest.status, { command: latest });
      }
    } catch (error) {
      console.warn(`command ${id}: status unavailable`, error);
    } finally {
      following.delete(id);
    }
  }

  let describedAt = 0;
  const stream = new StreamClient(streamUrl(config.stream, base, token), {
    onSnapshot: (readings) => {
      for (const message of readings) twin.apply(message, null);
      dirty = true;
      view.reframe();
    },
    onReading: (message) => {
      const known = twin.things.has(message.thing);
      twin.apply(message, Date.now());
      dirty = true;
      if (!known && Date.now() - describedAt > 2000) {
        describedAt = Date.now();
        describe(); // a new thing: fetch its label and placement
      }
    },
    onCommand: (id, status, frame) => {
      panel.status(id, status, frame);
      follow(id, status, frame);
    },
    onState: (state, detail) => showStatus(state, detail),
  });

  await view.load(config.scene).catch((error) => {
    console.error('the scene could not be loaded', error);
    showStatus('error', `scene: ${error.message}`);
  });
  await describe();
  stream.connect();

  setInterval(() => {
    dirty = true; // staleness changes with time alone
  }, 1000);
  const refresh = () => {
    if (dirty) {
      dirty = false;
      const now = Date.now();
      view.sync(twin, now, staleAfterMs);
      renderList($('#thing-list'), twin, { now, staleAfterMs, selected, onPick: pick });
      $('#count').textContent = String(twin.things.size);
      panel.render();
    }
    requestAnimationFrame(refresh);
  };
  requestAnimationFrame(refresh);
}

main().catch((error) => {
  console.error(error);
  showStatus('error', error.message);
});
