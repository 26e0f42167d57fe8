// A minimal engine client in plain JavaScript: the live stream, and a command with its status.
// Runs in a browser as is, and in Node.js >= 22 (global WebSocket and fetch; Node 20 needs
// --experimental-websocket). No package needed. See docs/engines.md.
//
//   node docs/examples/stream_client.mjs ws://127.0.0.1:8000/stream \
//       urn:dev:zigbee2mqtt:kitchen_plug setOnOff false

const FINAL = ['confirmed', 'failed', 'timed-out'];

export function run(url, thing, name, value, { readings = 5, timeoutMs = 20000 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    let seen = 0;
    let commandSent = false;
    let status = 'requested';
    let poll = null;
    const finish = (result) => {
      clearInterval(poll);
      clearTimeout(timer);
      socket.close();
      resolve(result);
    };
    const timer = setTimeout(() => finish(status), timeoutMs);
    const report = (next) => {
      if (next === status) return;
      status = next;
      console.log(`command ${name}: ${status}`);
      if (FINAL.includes(status)) finish(status);
    };
    socket.onerror = () => reject(new Error(`cannot connect to ${url}`));
    socket.onopen = () => socket.send(JSON.stringify({ type: 'subscribe' }));
    socket.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === 'snapshot' && frame.complete !== false) {
        console.log(`snapshot: ${frame.readings.length} latest values (last frame)`);
      } else if (frame.type === 'reading' && seen < readings) {
        const { thing: t, property, value: v, unit } = frame.reading;
        console.log(`reading: ${t} ${property} = ${v} ${unit ?? ''}`);
        seen += 1;
      } else if (frame.type === 'command-status' && frame.id === 'client-1') {
        report(frame.status);
        // not final yet: also read the command's record over HTTP until it is
        if (!poll && !FINAL.includes(frame.status)) poll = setInterval(() => follow(frame.command.id), 500);
      } else if (frame.type === 'error' && frame.id === 'client-1') {
        console.log(`command refused: ${frame.reason}`);
        finish('failed');
      }
      if (seen >= readings && !commandSent) {
        commandSent = true;
        socket.send(JSON.stringify({ type: 'command', thing, name, value, id: 'client-1' }));
      }
    };
    async function follow(commandId) {
      const http = new URL(url);
      http.protocol = http.protocol === 'wss:' ? 'https:' : 'http:';
      http.pathname = `/things/${encodeURIComponent(thing)}/commands/${encodeURIComponent(commandId)}`;
      const response = await fetch(http);
      if (response.ok) report((await response.json()).status);
    }
  });
}

if (typeof process !== 'undefined' && import.meta.url === `file://${process.argv[1]}`) {
  const [url = 'ws://127.0.0.1:8000/stream', thing, name = 'setOnOff', value = 'false'] =
    process.argv.slice(2);
  const status = await run(url, thing, name, JSON.parse(value));
  process.exit(status === 'confirmed' ? 0 : 1);
}
