/**
 * Package version comparison exactly as the package managers do it, so "is this installed version older than
 * the fixed version?" gives the same answer as `rpm`/`dnf` on Amazon Linux and `dpkg` on Ubuntu:
 *
 * - rpm: `rpmvercmp` from rpm 4.x (lib/rpmvercmp.c) on version, then release; epochs compare numerically first.
 *   Segments of digits compare numerically, segments of letters compare as strings, a digit segment is newer
 *   than a letter segment, `~` sorts before everything (even the end of the string), `^` sorts after the end
 *   of the string but before anything else.
 * - dpkg: `verrevcmp` from dpkg (lib/dpkg/version.c) on upstream version, then Debian revision; epochs
 *   numerically first. Non-digit runs compare character by character with letters before non-letters and `~`
 *   before everything (including the end), digit runs compare numerically.
 */
import type { InstalledPackage, PackageFormat } from './types';

export type VersionOrder = -1 | 0 | 1;

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isAlnum = (c: string): boolean => isDigit(c) || isAlpha(c);

/** rpm's `rpmvercmp(a, b)`: compares one version (or release) string. */
export function rpmvercmp(a: string, b: string): VersionOrder {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const at = (s: string, k: number): string => (k < s.length ? s[k] : '');
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== '~' && b[j] !== '^') j++;

    // Tilde sorts before everything else, including the end of the string.
    if (at(a, i) === '~' || at(b, j) === '~') {
      if (at(a, i) !== '~') return 1;
      if (at(b, j) !== '~') return -1;
      i++;
      j++;
      continue;
    }
    // Caret sorts after the end of the string but before anything else.
    if (at(a, i) === '^' || at(b, j) === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (at(a, i) !== '^') return 1;
      if (at(b, j) !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (!(i < a.length && j < b.length)) break;

    let ei = i;
    let ej = j;
    let isNum: boolean;
    if (isDigit(a[i])) {
      while (ei < a.length && isDigit(a[ei])) ei++;
      while (ej < b.length && isDigit(b[ej])) ej++;
      isNum = true;
    } else {
      while (ei < a.length && isAlpha(a[ei])) ei++;
      while (ej < b.length && isAlpha(b[ej])) ej++;
      isNum = false;
    }
    // Segment of a different type: rpm's (documented) arbitrary choice that numbers are newer than letters.
    if (ei === i) return -1;
    if (ej === j) return isNum ? 1 : -1;

    let segA = a.slice(i, ei);
    let segB = b.slice(j, ej);
    if (isNum) {
      segA = segA.replace(/^0+/, '');
      segB = segB.replace(/^0+/, '');
      if (segA.length > segB.length) return 1;
      if (segB.length > segA.length) return -1;
    }
    if (segA !== segB) return segA < segB ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** dpkg's ordering weight of one character of a non-digit run (`order()` in dpkg). */
function dpkgOrder(c: string): number {
  if (c === '') return 0;
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

/** dpkg's `verrevcmp(a, b)`: compares one upstream version (or Debian revision) string. */
export function dpkgVerrevcmp(a: string, b: string): VersionOrder {
  let i = 0;
  let j = 0;
  const at = (s: string, k: number): string => (k < s.length ? s[k] : '');
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = dpkgOrder(at(a, i));
      const bc = dpkgOrder(at(b, j));
      if (ac !== bc) return ac < bc ? -1 : 1;
      i++;
      j++;
    }
    while (at(a, i) === '0') i++;
    while (at(b, j) === '0') j++;
    while (isDigit(at(a, i)) && isDigit(at(b, j))) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(at(a, i))) return 1;
    if (isDigit(at(b, j))) return -1;
    if (firstDiff) return firstDiff < 0 ? -1 : 1;
  }
  return 0;
}

/** Epoch, version and release of a package, the unit both package managers compare. */
export interface Evr {
  epoch: number;
  version: string;
  release: string;
}

export class InvalidVersionString extends Error {
  constructor(value: string, format: PackageFormat) {
    super(`"${value}" is not a valid ${format} version string`);
    this.name = 'InvalidVersionString';
  }
}

/**
 * Parse `[epoch:]version[-release]` (rpm: release after the last `-`; dpkg: revision after the last `-`,
 * epoch before the first `:`). A missing epoch is 0 and a missing release is ''.
 */
export function parseEvr(value: string, format: PackageFormat): Evr {
  const text = value.trim();
  if (!text) throw new InvalidVersionString(value, format);
  let epoch = 0;
  let rest = text;
  const colon = text.indexOf(':');
  if (colon >= 0) {
    const epochText = text.slice(0, colon);
    if (!/^\d+$/.test(epochText)) throw new InvalidVersionString(value, format);
    epoch = Number(epochText);
    rest = text.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  const version = dash >= 0 ? rest.slice(0, dash) : rest;
  const release = dash >= 0 ? rest.slice(dash + 1) : '';
  if (!version) throw new InvalidVersionString(value, format);
  return { epoch, version, release };
}

/** `version-release` with `epoch:` in front when the epoch is not 0 — how dnf and apt print versions. */
export function formatEvr(evr: Evr): string {
  const vr = evr.release ? `${evr.version}-${evr.release}` : evr.version;
  return evr.epoch ? `${evr.epoch}:${vr}` : vr;
}

/** Compare two epoch/version/release triples with the rules of `format`. */
export function compareEvr(a: Evr, b: Evr, format: PackageFormat): VersionOrder {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  const cmp = format === 'rpm' ? rpmvercmp : dpkgVerrevcmp;
  const byVersion = cmp(a.version, b.version);
  if (byVersion !== 0) return byVersion;
  return cmp(a.release, b.release);
}

/** Compare two version strings such as `1:3.0.8-1.amzn2023.0.11` or `1:8.9p1-3ubuntu0.10`. */
export function compareVersionStrings(a: string, b: string, format: PackageFormat): VersionOrder {
  return compareEvr(parseEvr(a, format), parseEvr(b, format), format);
}

/** Whether `installed` is strictly older than `candidate`. */
export function isOlder(installed: Evr | InstalledPackage, candidate: Evr | InstalledPackage, format: PackageFormat): boolean {
  return compareEvr(installed, candidate, format) < 0;
}
