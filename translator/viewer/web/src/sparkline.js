// A small SVG line of recent values. Pure: builds markup from numbers.

const SVG = 'http://www.w3.org/2000/svg';

/** The `points` attribute of a polyline of [time, value] pairs in a width × height box. */
export function sparkPoints(points, width, height, pad = 2) {
  if (points.length === 0) return '';
  const times = points.map((p) => p[0]);
  const values = points.map((p) => p[1]);
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  let v0 = Math.min(...values);
  let v1 = Math.max(...values);
  if (v0 === v1) {
    v0 -= 1;
    v1 += 1;
  }
  const x = (t) => (t1 === t0 ? width / 2 : pad + ((t - t0) / (t1 - t0)) * (width - 2 * pad));
  const y = (v) => height - pad - ((v - v0) / (v1 - v0)) * (height - 2 * pad);
  return points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
}

/** An <svg> sparkline element (empty when there are fewer than two points). */
export function sparkline(points, { width = 120, height = 28, color = 'currentColor' } = {}) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'sparkline');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.dataset.points = String(points.length);
  if (points.length >= 2) {
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', sparkPoints(points, width, height));
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', color);
    line.setAttribute('stroke-width', '1.5');
    svg.append(line);
  }
  return svg;
}
