#!/usr/bin/env node
// The installed `gami` command (package.json "bin", so `npx gami` works): runs the TypeScript entry
// bin/gami.ts in a Node child process with tsx's loader (tsx is a dependency), so there is no build step.
// `npm run gami --` and `npm start` run bin/gami.ts with tsx directly.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS launcher: require() is its module system */
const { spawn } = require('node:child_process');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const loader = pathToFileURL(require.resolve('tsx')).href;
const child = spawn(process.execPath, ['--import', loader, join(__dirname, 'gami.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });

// Ctrl-C reaches the child too (same process group): it stops the run and cleans up, so the launcher only
// waits. Termination requests are passed on.
process.on('SIGINT', () => {});
for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  process.exitCode = code ?? 128 + (require('node:os').constants.signals[signal] ?? 0);
});
