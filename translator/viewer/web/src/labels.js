// The label that floats over a thing: its name and its main readings, colour-coded.

import { PRIMARY, valueBand } from './colors.js';
import { formatReading, propertyLabel } from './format.js';
import { displayName } from './twin.js';

export const LABEL_READINGS = 4;

/** The readings a label shows: the primary properties first, at most `count`. */
export function labelReadings(readings, count = LABEL_READINGS) {
  const names = [...readings.keys()].sort((a, b) => {
    const ia = PRIMARY.indexOf(a);
    const ib = PRIMARY.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
  });
  return names.slice(0, count);
}

/** A span showing one reading (data-property / data-value for scripts and tests). */
export function readingElement(property, reading) {
  const span = document.createElement('span');
  span.className = 'reading';
  span.dataset.property = property;
  span.dataset.value = String(reading.value);
  span.title = propertyLabel(property);
  span.textContent = formatReading(property, reading.value, reading.unit);
  const band = valueBand(property, reading.value);
  if (band) {
    span.style.color = band.color;
    span.dataset.band = band.name;
  }
  return span;
}

/** Fill `element` with the label of `thing` (only when something it shows changed). */
export function renderLabel(element, thing, { stale, selected }) {
  const key = `${thing.updates}|${stale}|${selected}|${thing.label}`;
  if (element.dataset.key === key) return;
  element.dataset.key = key;
  element.dataset.updates = String(thing.updates);
  element.classList.toggle('stale', stale);
  element.classList.toggle('selected', selected);
  const name = document.createElement('div');
  name.className = 'name';
  name.textContent = displayName(thing);
  const list = document.createElement('div');
  list.className = 'readings';
  for (const property of labelReadings(thing.readings)) {
    list.append(readingElement(property, thing.readings.get(property)));
  }
  if (!thing.readings.size) list.textContent = 'no reading yet';
  element.replaceChildren(name, list);
}
