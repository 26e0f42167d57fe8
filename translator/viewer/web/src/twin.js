// The viewer's copy of the twin: things, their latest readings and recent history.
// Fed by the stream (readings) and by SPARQL (descriptions, placements, history). Pure JS.

import { propertyName } from './sparql.js';

export const HISTORY_POINTS = 600; // per property, oldest dropped

function emptyThing(iri) {
  return {
    iri,
    label: null,
    types: new Set(),
    area: null,
    position: null,
    model: null,
    node: null,
    readings: new Map(), // property → {value, unit, time (ms)}
    history: new Map(), // property → [[time ms, value], …] (numbers only)
    lastSeen: 0, // ms since 1970 of the newest reading (arrival for live readings)
    fromStream: false,
    updates: 0, // readings applied (the labels show it as data-updates)
  };
}

/** `https://saref.etsi.org/core/Switch` and `saref:Switch` → `Switch`. */
export function shortType(iri) {
  const text = String(iri);
  const cut = text.includes('/') ? Math.max(text.lastIndexOf('/'), text.lastIndexOf('#')) : text.lastIndexOf(':');
  return text.slice(cut + 1);
}

export class Twin {
  constructor() {
    /** @type {Map<string, ReturnType<typeof emptyThing>>} */
    this.things = new Map();
  }

  thing(iri) {
    let found = this.things.get(iri);
    if (!found) {
      found = emptyThing(iri);
      this.things.set(iri, found);
    }
    return found;
  }

  /** Rows of THINGS_QUERY, then rows of SCENE_QUERY (the scene file wins, field by field). */
  describe(thingRows, sceneRows = []) {
    for (const row of thingRows) {
      const thing = this.thing(row.thing);
      if (row.label != null) thing.label = String(row.label);
      if (row.type != null) thing.types.add(shortType(row.type));
      this.#place(thing, row);
    }
    for (const row of sceneRows) this.#place(this.thing(row.thing), row);
  }

  #place(thing, row) {
    if (row.area != null) thing.area = String(row.area);
    if (row.x != null && row.y != null && row.z != null) {
      thing.position = [Number(row.x), Number(row.y), Number(row.z)];
    }
    if (row.model != null) thing.model = String(row.model);
    if (row.node != null) thing.node = String(row.node);
  }

  /**
   * One stream message. `arrived` (ms) is when a live message came; for snapshot entries
   * pass null: the reading's own time is then the thing's last sign of life.
   * Returns the thing.
   */
  apply(message, arrived = null) {
    const thing = this.thing(message.thing);
    thing.fromStream = true;
    thing.updates += 1;
    if (message.area && !thing.area) thing.area = message.area;
    if (message.thingType) thing.types.add(shortType(message.thingType));
    const time = Date.parse(message.time);
    const current = thing.readings.get(message.property);
    if (!current || !(time < current.time)) {
      thing.readings.set(message.property, { value: message.value, unit: message.unit ?? null, time });
    }
    if (typeof message.value === 'number') this.#remember(thing, message.property, time, message.value);
    const seen = arrived ?? time;
    if (Number.isFinite(seen) && seen > thing.lastSeen) thing.lastSeen = seen;
    return thing;
  }

  #remember(thing, property, time, value) {
    let points = thing.history.get(property);
    if (!points) {
      points = [];
      thing.history.set(property, points);
    }
    const last = points[points.length - 1];
    if (last && last[0] === time) return;
    if (last && last[0] > time) {
      points.push([time, value]);
      points.sort((a, b) => a[0] - b[0]);
    } else {
      points.push([time, value]);
    }
    if (points.length > HISTORY_POINTS) points.splice(0, points.length - HISTORY_POINTS);
  }

  /** Rows of historyQuery for one thing: merged into its history. */
  addHistory(iri, historyRows) {
    const thing = this.thing(iri);
    for (const row of historyRows) {
      const time = Date.parse(row.time);
      if (Number.isFinite(time) && typeof row.value === 'number') {
        this.#remember(thing, propertyName(row.property), time, row.value);
      }
    }
    return thing;
  }

  /** Whether a thing has had no reading for `staleAfterMs` at `now` (ms). */
  static isStale(thing, now, staleAfterMs) {
    return thing.lastSeen > 0 ? now - thing.lastSeen > staleAfterMs : thing.readings.size === 0;
  }

  /** Things sorted by display name. */
  sorted() {
    return [...this.things.values()].sort((a, b) => displayName(a).localeCompare(displayName(b)));
  }
}

/** The name a thing is shown by. */
export function displayName(thing) {
  if (thing.label) return thing.label;
  const text = thing.iri;
  return text.slice(Math.max(text.lastIndexOf(':'), text.lastIndexOf('/')) + 1) || text;
}
