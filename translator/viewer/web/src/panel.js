// The panel a click opens: the thing's description, every property with a sparkline of its
// recent history (fetched with SPARQL, then extended by the stream), and its commands (from
// its Thing Description), each with its status until the device confirms it.

import { valueBand } from './colors.js';
import { formatClock, formatReading, propertyLabel } from './format.js';
import { sparkline } from './sparkline.js';
import { FINAL_STATUSES } from './stream.js';
import { displayName } from './twin.js';

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'text') node.textContent = value;
    else if (name.startsWith('data-')) node.setAttribute(name, value);
    else node[name] = value;
  }
  node.append(...children);
  return node;
}

/** The commands of a TD: [{name, type, property, schema}] (type of the `value` input). */
export function commandsOf(td) {
  const actions = td && typeof td.actions === 'object' ? td.actions : {};
  return Object.entries(actions).map(([name, action]) => {
    const schema = action?.input?.properties?.value ?? {};
    const acts = action?.['sosa:actsOnProperty']?.['@id'] ?? null;
    const property = typeof acts === 'string' ? acts.replace(/^trp:/, '') : null;
    return { name, type: schema.type ?? null, property, schema };
  });
}

export class Panel {
  /**
   * @param {HTMLElement} root the panel element
   * @param {{onCommand: (thing: string, name: string, value: unknown) => string,
   *          onClose: () => void}} handlers
   */
  constructor(root, { onCommand, onClose }) {
    this.root = root;
    this.onCommand = onCommand;
    this.onClose = onClose;
    this.thing = null;
    this.statuses = new Map(); // command name → {id, status, reason}
    this.rows = new Map(); // property → table row
    this.controls = []; // one per command: {command, update()}
    this.lastRender = 0;
  }

  /** Show `thing`; its commands come with its Thing Description (`setDescription`). */
  open(thing) {
    this.thing = thing;
    this.statuses.clear();
    this.rows.clear();
    this.controls = [];
    this.root.hidden = false;
    this.root.dataset.thing = thing.iri;
    const close = element('button', { className: 'close', type: 'button', text: '×', title: 'Close' });
    close.addEventListener('click', () => this.onClose());
    this.title = element('h2');
    this.facts = element('dl', { className: 'facts' });
    this.table = element('tbody');
    this.commandList = element('div', {}, element('p', { className: 'none', text: 'none' }));
    this.root.replaceChildren(
      element('header', {}, this.title, close),
      element('p', { className: 'iri' }, element('code', { text: thing.iri })),
      this.facts,
      element('table', { className: 'properties' }, this.table),
      element('section', { className: 'commands' }, element('h3', { text: 'Commands' }), this.commandList),
    );
    this.render(true);
  }

  close() {
    this.thing = null;
    this.root.hidden = true;
    delete this.root.dataset.thing;
  }

  setDescription(iri, td) {
    if (!this.thing || this.thing.iri !== iri) return;
    const commands = commandsOf(td);
    this.controls = commands.map((command) => this.#command(this.thing, command));
    this.commandList.replaceChildren(
      ...(this.controls.length
        ? this.controls.map((control) => control.row)
        : [element('p', { className: 'none', text: 'none' })]),
    );
    this.render(true);
  }

  /** A command's status changed (id as returned by onCommand). */
  status(id, status, frame) {
    for (const [name, entry] of this.statuses) {
      if (entry.id === id) {
        this.statuses.set(name, { id, status, reason: frame?.reason ?? frame?.command?.reason });
        this.render(true);
      }
    }
  }

  /** Bring the panel up to date (at most once a second unless `force`); elements stay put. */
  render(force = false) {
    if (!this.thing) return;
    const now = Date.now();
    if (!force && now - this.lastRender < 1000) return;
    this.lastRender = now;
    const thing = this.thing;
    this.title.textContent = displayName(thing);
    this.#facts(thing);
    this.#properties(thing);
    for (const control of this.controls) control.update();
  }

  #facts(thing) {
    const items = [];
    const add = (term, value) => {
      if (value) items.push(element('dt', { text: term }), element('dd', { text: value }));
    };
    add('type', [...thing.types].join(', '));
    add('area', thing.area);
    add('scene node', thing.node);
    add('position', thing.position ? `${thing.position.map((v) => v.toFixed(2)).join(', ')} m` : '');
    add('model', thing.model);
    add('last reading', thing.lastSeen ? formatClock(new Date(thing.lastSeen)) : 'none yet');
    this.facts.replaceChildren(...items);
  }

  #properties(thing) {
    let added = false;
    for (const [property, reading] of thing.readings) {
      let row = this.rows.get(property);
      if (!row) {
        row = element(
          'tr',
          { 'data-property': property },
          element('th', { text: propertyLabel(property) }),
          element('td', { className: 'value' }),
          element('td', { className: 'spark' }),
          element('td', { className: 'time' }),
        );
        this.rows.set(property, row);
        added = true;
      }
      const [, value, spark, time] = row.children;
      const band = valueBand(property, reading.value);
      value.textContent = formatReading(property, reading.value, reading.unit);
      value.style.color = band ? band.color : '';
      spark.replaceChildren(sparkline(thing.history.get(property) ?? [], { color: band?.color }));
      time.textContent = formatClock(new Date(reading.time));
    }
    if (added) {
      const sorted = [...this.rows.entries()].sort((a, b) => a[0].localeCompare(b[0]));
      this.table.replaceChildren(...sorted.map(([, row]) => row));
    }
  }

  #command(thing, command) {
    const row = element('div', { className: 'command', 'data-command': command.name });
    row.append(element('span', { className: 'command-name', text: command.name }));
    const status = element('span', { className: 'command-status' });
    const send = (value) => {
      const id = this.onCommand(thing.iri, command.name, value);
      this.statuses.set(command.name, { id, status: 'requested' });
      this.render(true);
    };
    const current = () => (command.property ? thing.readings.get(command.property)?.value : undefined);
    let refresh = () => {};
    if (command.type === 'boolean') {
      const button = element('button', { type: 'button', className: 'toggle' });
      button.addEventListener('click', () => send(current() !== true));
      refresh = () => {
        const on = current() === true;
        button.className = `toggle ${on ? 'on' : 'off'}`;
        button.setAttribute('aria-pressed', String(on));
        button.textContent = command.property ? formatReading(command.property, on) : String(on);
      };
      row.append(button);
    } else if (['number', 'integer', 'string'].includes(command.type)) {
      const input = element('input', { type: command.type === 'string' ? 'text' : 'number' });
      const button = element('button', { type: 'button', text: 'send' });
      button.addEventListener('click', () =>
        send(command.type === 'string' ? input.value : Number(input.value)),
      );
      row.append(input, button);
    } else {
      const button = element('button', { type: 'button', text: 'send' });
      button.addEventListener('click', () => send(null));
      row.append(button);
    }
    row.append(status);
    const update = () => {
      refresh();
      const entry = this.statuses.get(command.name);
      status.hidden = !entry;
      if (!entry) return;
      status.dataset.status = entry.status;
      status.textContent = entry.reason ? `${entry.status}: ${entry.reason}` : entry.status;
      row.dataset.final = String(FINAL_STATUSES.includes(entry.status));
    };
    return { row, update };
  }
}
