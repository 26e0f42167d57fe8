// Text for people: unit symbols, property names, values. Pure functions (tested with node:test).

/** QUDT unit local names (as the stream sends them) to the symbols people read. */
export const UNIT_SYMBOLS = Object.freeze({
  A: 'A',
  'BEAT-PER-MIN': 'bpm',
  DEG: '°',
  DEG_C: '°C',
  DEG_F: '°F',
  DeciB_M: 'dBm',
  HectoPA: 'hPa',
  'KiloW-HR': 'kWh',
  KiloW: 'kW',
  LUX: 'lx',
  M: 'm',
  'M-PER-SEC': 'm/s',
  MilliM: 'mm',
  PA: 'Pa',
  PERCENT: '%',
  PERCENT_RH: '% RH',
  PPM: 'ppm',
  SEC: 's',
  UNITLESS: '',
  V: 'V',
  W: 'W',
  'W-HR': 'Wh',
});

/** What true and false mean for the boolean properties people know. */
const BOOLEAN_WORDS = Object.freeze({
  onOff: ['on', 'off'],
  contact: ['closed', 'open'],
  occupancy: ['occupied', 'clear'],
  motion: ['motion', 'still'],
  waterLeak: ['leak', 'dry'],
});

/** The symbol of a QUDT unit local name (the name itself when unknown). */
export function unitSymbol(unit) {
  if (!unit) return '';
  return Object.hasOwn(UNIT_SYMBOLS, unit) ? UNIT_SYMBOLS[unit] : unit;
}

/** "relativeHumidity" → "relative humidity". */
export function propertyLabel(property) {
  return String(property)
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

/** A number with as many decimals as its size deserves: 1234, 21.5, 0.27. */
export function formatNumber(value) {
  if (!Number.isFinite(value)) return String(value);
  const size = Math.abs(value);
  const decimals = size >= 100 ? 0 : size >= 10 ? 1 : 2;
  return String(Number(value.toFixed(decimals)));
}

/** One reading as people read it: "21.5 °C", "on", "closed", "single". */
export function formatReading(property, value, unit) {
  if (typeof value === 'boolean') {
    const words = BOOLEAN_WORDS[property];
    if (words) return value ? words[0] : words[1];
    return value ? 'true' : 'false';
  }
  if (typeof value === 'number') {
    const symbol = unitSymbol(unit);
    if (!symbol) return formatNumber(value);
    const gap = symbol === '%' || symbol.startsWith('°') ? '' : ' ';
    return `${formatNumber(value)}${gap}${symbol}`;
  }
  return String(value);
}

/** A short clock time for a Date or time string: "10:04:05". */
export function formatClock(time) {
  const date = time instanceof Date ? time : new Date(time);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleTimeString('en-GB', { hour12: false });
}

/** The last path or fragment segment of an IRI, for a thing without a label. */
export function shortName(iri) {
  const text = String(iri);
  const cut = Math.max(text.lastIndexOf('/'), text.lastIndexOf('#'), text.lastIndexOf(':'));
  const tail = cut >= 0 ? text.slice(cut + 1) : text;
  try {
    return decodeURIComponent(tail) || text;
  } catch {
    return tail || text;
  }
}
