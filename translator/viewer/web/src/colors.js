// Colour-coding of values by range (in each property's canonical unit). Pure functions.

const BLUE = '#4aa3ff';
const CYAN = '#7fd4ff';
const GREEN = '#5cd65c';
const AMBER = '#ffb347';
const RED = '#ff5a4f';
const GREY = '#8a97a8';
const YELLOW = '#ffd34d';

/**
 * Bands per property: [upper bound (exclusive), band name, colour], in ascending order.
 * Values are in the canonical unit the stream sends (°C, % RH, W, %, bpm, ppm).
 */
export const RANGES = Object.freeze({
  temperature: [
    [16, 'cold', BLUE],
    [19, 'cool', CYAN],
    [24, 'comfortable', GREEN],
    [27, 'warm', AMBER],
    [Infinity, 'hot', RED],
  ],
  relativeHumidity: [
    [30, 'dry', AMBER],
    [60, 'comfortable', GREEN],
    [Infinity, 'humid', BLUE],
  ],
  power: [
    [1, 'idle', GREY],
    [200, 'low', GREEN],
    [1000, 'medium', AMBER],
    [Infinity, 'high', RED],
  ],
  batteryLevel: [
    [15, 'low', RED],
    [40, 'medium', AMBER],
    [Infinity, 'good', GREEN],
  ],
  oxygenSaturation: [
    [90, 'low', RED],
    [95, 'borderline', AMBER],
    [Infinity, 'normal', GREEN],
  ],
  heartRate: [
    [50, 'low', BLUE],
    [100, 'normal', GREEN],
    [Infinity, 'high', RED],
  ],
  co2: [
    [800, 'fresh', GREEN],
    [1400, 'stuffy', AMBER],
    [Infinity, 'bad', RED],
  ],
});

/** Booleans: which colour "true" and "false" get. */
const BOOLEAN_COLOURS = Object.freeze({
  onOff: [YELLOW, GREY],
  contact: [GREEN, AMBER],
  occupancy: [AMBER, GREY],
});

/** The properties that best show a thing's state, best first (for its marker's colour). */
export const PRIMARY = Object.freeze([
  'onOff',
  'temperature',
  'contact',
  'oxygenSaturation',
  'heartRate',
  'power',
  'relativeHumidity',
  'co2',
  'occupancy',
  'batteryLevel',
]);

/** The band of a value: {name, color}, or null when the property has no ranges. */
export function valueBand(property, value) {
  if (typeof value === 'boolean') {
    const colours = BOOLEAN_COLOURS[property];
    if (!colours) return null;
    return { name: String(value), color: value ? colours[0] : colours[1] };
  }
  const bands = RANGES[property];
  if (!bands || typeof value !== 'number' || !Number.isFinite(value)) return null;
  for (const [upper, name, color] of bands) {
    if (value < upper) return { name, color };
  }
  return null;
}

/** The property whose value colours a thing (from PRIMARY, else the first with a band). */
export function primaryProperty(readings) {
  for (const property of PRIMARY) {
    if (readings.has(property)) return property;
  }
  for (const [property, reading] of readings) {
    if (valueBand(property, reading.value)) return property;
  }
  return null;
}

export const NEUTRAL = GREY;
