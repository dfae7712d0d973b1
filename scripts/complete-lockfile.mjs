#!/usr/bin/env node
/**
 * Complete package-lock.json with the platform packages the registry mirror of this workplace does not serve.
 *
 * Why: some packages ship their native binary as one optional dependency per platform (@swc/core-*,
 * @unrs/resolver-binding-* of jest 30's resolver). The mirror here answers 404 for the platforms nobody here
 * installs (darwin, win32, …), so npm leaves them out of the lock, and `npm ci` then refuses the lock as "out
 * of sync". npm never downloads an optional package for another platform, so an entry with the version and
 * the platform fields from the package name is all `npm ci` needs. Run after any `npm install` that rewrites
 * the lock: `node scripts/complete-lockfile.mjs`.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const OS = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openharmony', 'sunos', 'aix', 'netbsd', 'openbsd'];
const CPU = { x64: 'x64', arm64: 'arm64', arm: 'arm', ia32: 'ia32', ppc64: 'ppc64', s390x: 's390x', loong64: 'loong64', riscv64: 'riscv64' };

/** Platform fields from names like @swc/core-linux-arm64-musl or @unrs/resolver-binding-android-arm-eabi. */
function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.map((p) => CPU[p]).find(Boolean);
  const libc = parts.includes('musl') || parts.includes('musleabihf') ? 'musl' : parts.includes('gnu') || parts.includes('gnueabihf') ? 'glibc' : undefined;
  return { os: os && [os], cpu: cpu && [cpu], libc: libc && [libc] };
}

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${path}/node_modules/${name}`;
    if (lock.packages[`node_modules/${name}`] || lock.packages[nested]) continue;
    const { os, cpu, libc } = platformOf(name);
    if (!os || !cpu) continue; // not a platform package: leave it to npm
    lock.packages[`node_modules/${name}`] = { version, ...(entry.dev ? { dev: true } : {}), optional: true, os, cpu, ...(libc ? { libc } : {}) };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} platform package entr${added === 1 ? 'y' : 'ies'}`);
