// Build the viewer into ../static: bundle src/main.js (three.js included) with esbuild and
// copy public/. scripts/setup-venv runs `npm ci` and this when the sources changed; the page
// then needs no network and no CDN.
import { cp, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'static');

await rm(out, { recursive: true, force: true });
await mkdir(join(out, 'assets'), { recursive: true });
await build({
  entryPoints: [join(here, 'src', 'main.js')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  outfile: join(out, 'assets', 'main.js'),
  logLevel: 'warning',
});
await cp(join(here, 'public'), out, { recursive: true });
console.log(`viewer built into ${out}`);
