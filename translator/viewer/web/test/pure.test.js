// Unit tests of the viewer's pure modules (no browser, no three.js): node --test test/
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { primaryProperty, valueBand } from '../src/colors.js';
import { formatNumber, formatReading, propertyLabel, shortName, unitSymbol } from '../src/format.js';
import { UNPLACED, autoLayout } from '../src/layout.js';
import { commandsOf } from '../src/panel.js';
import { sparkPoints } from '../src/sparkline.js';
import { SCENE_QUERY, THINGS_QUERY, historyQuery, iriRef, propertyRef, rows } from '../src/sparql.js';
import { StreamClient, streamUrl } from '../src/stream.js';
import { Twin, displayName, shortType } from '../src/twin.js';

test('readings read as people read them', () => {
  assert.equal(formatReading('temperature', 21.456, 'DEG_C'), '21.5°C');
  assert.equal(formatReading('power', 1234.4, 'W'), '1234 W');
  assert.equal(formatReading('current', 0.2671, 'A'), '0.27 A');
  assert.equal(formatReading('onOff', true, null), 'on');
  assert.equal(formatReading('contact', false, null), 'open');
  assert.equal(formatReading('flag', false, null), 'false');
  assert.equal(formatReading('mode', 'eco', null), 'eco');
  assert.equal(formatReading('linkQuality', 93, 'UNITLESS'), '93');
  assert.equal(unitSymbol('SOMETHING_NEW'), 'SOMETHING_NEW');
  assert.equal(propertyLabel('relativeHumidity'), 'relative humidity');
  assert.equal(formatNumber(100), '100');
  assert.equal(shortName('urn:fhir:Patient%2Fexample'), 'Patient/example');
});

test('values are colour-coded by range', () => {
  assert.equal(valueBand('temperature', 15).name, 'cold');
  assert.equal(valueBand('temperature', 21).name, 'comfortable');
  assert.equal(valueBand('temperature', 30).name, 'hot');
  assert.equal(valueBand('temperature', 24).name, 'warm'); // bounds are exclusive upper
  assert.equal(valueBand('onOff', true).name, 'true');
  assert.equal(valueBand('unknownProperty', 3), null);
  assert.equal(valueBand('temperature', 'warm'), null);
  const readings = new Map([['voltage', { value: 230 }], ['temperature', { value: 20 }]]);
  assert.equal(primaryProperty(readings), 'temperature');
  assert.equal(primaryProperty(new Map([['voltage', { value: 230 }]])), null);
});

test('things without a position are laid out by area, unplaced last', () => {
  const { positions, areas } = autoLayout(
    [
      { iri: 'urn:b', area: 'outdoor' },
      { iri: 'urn:a', area: null },
      { iri: 'urn:c', area: 'cellar' },
      { iri: 'urn:d', area: 'outdoor' },
    ],
    { origin: [0, 0, 10], spacing: 1, gap: 1 },
  );
  assert.deepEqual(areas.map((a) => a.name), ['cellar', 'outdoor', UNPLACED]);
  assert.deepEqual(positions.get('urn:c'), [0.5, 0, 10.5]);
  assert.deepEqual(positions.get('urn:b'), [2.5, 0, 10.5]);
  assert.deepEqual(positions.get('urn:d'), [3.5, 0, 10.5]);
  assert.deepEqual(positions.get('urn:a'), [5.5, 0, 10.5]);
  const many = autoLayout(Array.from({ length: 5 }, (_, i) => ({ iri: `urn:${i}`, area: 'x' })));
  assert.equal(new Set([...many.positions.values()].map(String)).size, 5);
});

test('only safe IRIs and names reach a query', () => {
  assert.equal(iriRef('urn:dev:zigbee2mqtt:kitchen_plug'), '<urn:dev:zigbee2mqtt:kitchen_plug>');
  for (const bad of ['urn:a> } DROP ALL { <x', 'no scheme', 'urn:a b', 'urn:a"', 'urn:{x}', 'urn:a\\u003e']) {
    assert.throws(() => iriRef(bad), /not an IRI/);
  }
  assert.equal(propertyRef('onOff'), 'trp:onOff');
  assert.throws(() => propertyRef('on Off'));
  const query = historyQuery('urn:dev:x', new Date('2026-11-25T10:00:00Z'), 10);
  assert.match(query, /sosa:madeBySensor <urn:dev:x>/);
  assert.match(query, /"2026-11-25T10:00:00.000Z"\^\^xsd:dateTime/);
  assert.match(query, /LIMIT 10$/);
  assert.throws(() => historyQuery('urn:x> . ?s ?p ?o', new Date()));
  assert.match(THINGS_QUERY, /GRAPH <https:\/\/w3id.org\/semantic-translator\/graph\/things>/);
  assert.match(SCENE_QUERY, /graph\/scene>/);
});

test('SPARQL JSON results become typed rows', () => {
  const result = {
    results: {
      bindings: [
        {
          thing: { type: 'uri', value: 'urn:a' },
          x: { type: 'literal', value: '1.5', datatype: 'http://www.w3.org/2001/XMLSchema#double' },
          on: { type: 'literal', value: 'true', datatype: 'http://www.w3.org/2001/XMLSchema#boolean' },
          label: { type: 'literal', value: 'A' },
        },
      ],
    },
  };
  assert.deepEqual(rows(result), [{ thing: 'urn:a', x: 1.5, on: true, label: 'A' }]);
});

test('the twin keeps the newest reading, history, and staleness', () => {
  const twin = new Twin();
  const message = (value, time) => ({
    thing: 'urn:a', property: 'temperature', value, unit: 'DEG_C', time, thingType: 'saref:Sensor',
  });
  twin.apply(message(20, '2026-11-25T10:00:02Z'), null);
  twin.apply(message(19, '2026-11-25T10:00:01Z'), null); // late: history only
  const thing = twin.things.get('urn:a');
  assert.equal(thing.readings.get('temperature').value, 20);
  assert.deepEqual(thing.history.get('temperature').map((p) => p[1]), [19, 20]);
  assert.equal(thing.updates, 2);
  assert.deepEqual([...thing.types], ['Sensor']);
  assert.equal(Twin.isStale(thing, Date.parse('2026-11-25T10:00:30Z'), 30_000), false);
  assert.equal(Twin.isStale(thing, Date.parse('2026-11-25T10:00:33Z'), 30_000), true);
  twin.apply(message(21, '2026-11-25T10:00:03Z'), Date.parse('2026-11-25T10:05:00Z'));
  assert.equal(Twin.isStale(thing, Date.parse('2026-11-25T10:05:10Z'), 30_000), false);
  twin.addHistory('urn:a', [
    { property: 'https://w3id.org/semantic-translator/property/temperature', time: '2026-11-25T09:59:00Z', value: 18 },
  ]);
  assert.equal(thing.history.get('temperature')[0][1], 18);
});

test('the scene file wins over the mapping, field by field', () => {
  const twin = new Twin();
  twin.describe(
    [{ thing: 'urn:a', label: 'Plug', type: 'https://saref.etsi.org/core/Switch', area: 'hall', x: 1, y: 0, z: 2 }],
    [{ thing: 'urn:a', area: 'kitchen', node: 'Fan' }],
  );
  const thing = twin.things.get('urn:a');
  assert.equal(thing.area, 'kitchen');
  assert.equal(thing.node, 'Fan');
  assert.deepEqual(thing.position, [1, 0, 2]);
  assert.equal(displayName(thing), 'Plug');
  assert.equal(shortType('saref:Switch'), 'Switch');
});

test('sparklines fit their box', () => {
  assert.equal(sparkPoints([], 100, 20), '');
  const points = sparkPoints([[0, 1], [5, 3], [10, 2]], 100, 20, 0).split(' ');
  assert.deepEqual(points, ['0.0,20.0', '50.0,0.0', '100.0,10.0']);
  assert.equal(sparkPoints([[0, 5], [1, 5]], 10, 10, 0), '0.0,5.0 10.0,5.0');
});

test('commands come from the Thing Description', () => {
  const td = {
    actions: {
      setOnOff: {
        input: { type: 'object', properties: { value: { type: 'boolean' } } },
        'sosa:actsOnProperty': { '@id': 'trp:onOff' },
      },
      reboot: {},
    },
  };
  assert.deepEqual(commandsOf(td), [
    { name: 'setOnOff', type: 'boolean', property: 'onOff', schema: { type: 'boolean' } },
    { name: 'reboot', type: null, property: null, schema: {} },
  ]);
  assert.deepEqual(commandsOf({}), []);
});

class FakeSocket {
  static last = null;
  constructor(url) {
    this.url = url;
    this.readyState = 1;
    this.sent = [];
    this.listeners = {};
    FakeSocket.last = this;
  }
  addEventListener(type, listener) {
    this.listeners[type] = listener;
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  close() {}
  emit(type, event) {
    this.listeners[type](event);
  }
}

test('the stream client subscribes, reads frames and tracks commands', () => {
  const events = [];
  const client = new StreamClient(
    'ws://127.0.0.1/stream',
    {
      onSnapshot: (readings, complete) => events.push(['snapshot', readings.length, complete]),
      onReading: (reading) => events.push(['reading', reading.value]),
      onCommand: (id, status) => events.push(['command', status]),
      onState: (state) => events.push(['state', state]),
    },
    { WebSocketImpl: FakeSocket },
  );
  client.connect();
  const socket = FakeSocket.last;
  socket.emit('open', {});
  assert.deepEqual(socket.sent[0], { type: 'subscribe' });
  const frame = (data) => socket.emit('message', { data: JSON.stringify(data) });
  frame({ type: 'snapshot', seq: 1, readings: [{}, {}], complete: false });
  frame({ type: 'snapshot', seq: 1, readings: [{}], complete: true });
  frame({ type: 'reading', seq: 2, reading: { value: 3 } });
  frame({ type: 'readings', seq: 4, readings: [{ value: 4 }, { value: 5 }] });
  frame({ type: 'dropped', count: 3, total: 3 });
  assert.deepEqual(socket.sent[1], { type: 'subscribe' }); // a fresh snapshot after drops
  const id = client.command('urn:a', 'setOnOff', true);
  assert.deepEqual(socket.sent[2], { type: 'command', thing: 'urn:a', name: 'setOnOff', value: true, id });
  frame({ type: 'command-status', id, status: 'sent', command: {} });
  frame({ type: 'command-status', id, status: 'confirmed', command: {} });
  frame({ type: 'command-status', id, status: 'sent', command: {} }); // late: ignored
  assert.deepEqual(events, [
    ['state', 'connecting'],
    ['snapshot', 2, false],
    ['snapshot', 1, true],
    ['state', 'live'],
    ['reading', 3],
    ['reading', 4],
    ['reading', 5],
    ['command', 'sent'],
    ['command', 'confirmed'],
  ]);
  assert.equal(
    streamUrl('../stream', 'https://example.org/app/viewer/', 't'),
    'wss://example.org/app/stream?access_token=t',
  );
});
