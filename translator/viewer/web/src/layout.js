// Automatic placement of the things without a position: grouped by area, areas in a row.

export const UNPLACED = 'unplaced';

/**
 * Positions for things that have none, grouped by area.
 *
 * @param {Array<{iri: string, area: string|null}>} items
 * @param {{origin?: number[], spacing?: number, gap?: number}} options
 *   origin: the front-left corner of the row [x, y, z]; spacing: metres between things;
 *   gap: metres between areas.
 * @returns {{positions: Map<string, number[]>, areas: Array<{name: string, center: number[], size: number[]}>}}
 */
export function autoLayout(items, { origin = [0, 0, 0], spacing = 1.2, gap = 1.0 } = {}) {
  const groups = new Map();
  for (const item of items) {
    const area = item.area || UNPLACED;
    if (!groups.has(area)) groups.set(area, []);
    groups.get(area).push(item.iri);
  }
  const names = [...groups.keys()].sort((a, b) => {
    if (a === UNPLACED) return 1;
    if (b === UNPLACED) return -1;
    return a.localeCompare(b);
  });
  const positions = new Map();
  const areas = [];
  let x = origin[0];
  for (const name of names) {
    const iris = groups.get(name).sort();
    const columns = Math.ceil(Math.sqrt(iris.length));
    const rows = Math.ceil(iris.length / columns);
    const width = columns * spacing;
    const depth = rows * spacing;
    iris.forEach((iri, index) => {
      const column = index % columns;
      const row = Math.floor(index / columns);
      positions.set(iri, [
        x + (column + 0.5) * spacing,
        origin[1],
        origin[2] + (row + 0.5) * spacing,
      ]);
    });
    areas.push({ name, center: [x + width / 2, origin[1], origin[2] + depth / 2], size: [width, depth] });
    x += width + gap;
  }
  return { positions, areas };
}
