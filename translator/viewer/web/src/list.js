// The list of every thing beside the scene: name, main reading, stale mark; click to open.

import { labelReadings, readingElement } from './labels.js';
import { Twin, displayName } from './twin.js';

export function renderList(list, twin, { now, staleAfterMs, selected, onPick }) {
  const rows = [];
  for (const thing of twin.sorted()) {
    let row = list.querySelector(`li[data-thing="${CSS.escape(thing.iri)}"]`);
    if (!row) {
      row = document.createElement('li');
      row.dataset.thing = thing.iri;
      row.tabIndex = 0;
      row.addEventListener('click', () => onPick(thing.iri));
      row.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') onPick(thing.iri);
      });
    }
    const stale = Twin.isStale(thing, now, staleAfterMs);
    const key = `${thing.updates}|${stale}|${selected === thing.iri}|${thing.label}`;
    if (row.dataset.key !== key) {
      row.dataset.key = key;
      row.classList.toggle('stale', stale);
      row.classList.toggle('selected', selected === thing.iri);
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = displayName(thing);
      const [first] = labelReadings(thing.readings, 1);
      row.replaceChildren(name, ...(first ? [readingElement(first, thing.readings.get(first))] : []));
    }
    rows.push(row);
  }
  list.replaceChildren(...rows);
}
