/**
 * Package inventories of images: the installed packages (name, epoch, version, release, architecture) of the
 * test instance launched from a new image (role `image`) and of the builder before its first build step (role
 * `base`: the base image as launched), recorded in the registry so a team can ask "which images carry openssl
 * 3.0.8?" and the approval page can show what changed.
 *
 * Registry items (the layout in registry.ts, extended):
 *   PIPELINE#<name> / INVENTORY#<000012>#IMAGE   packages of image v12, and what changed from its base
 *   PIPELINE#<name> / INVENTORY#<000012>#BASE    packages of the base image v12 was built from
 * A prefix of their own lets a reader Query every inventory of a pipeline without reading the other items.
 * Packages are stored as a list while the JSON is small, and gzip-compressed (binary attribute) above
 * COMPRESS_ABOVE_BYTES, so an image of thousands of packages stays well inside DynamoDB's 400 KB item limit.
 *
 * Versions compare as rpm does (rpmvercmp: digit runs numerically, letter runs lexically, digits newer than
 * letters, `~` older than anything, `^` newer than the end); dpkg orders most real versions the same way. A
 * range is comparators separated by spaces: `>=3.0.8 <3.0.9`, `=1:3.0.8-1.amzn2023.0.12`, `3.0.8`. A bound without
 * a release compares versions only (3.0.8 matches every release of 3.0.8); with one, epoch:version-release.
 */
import { gunzipSync, gzipSync } from 'node:zlib';

export interface PackageEntry {
  name: string;
  /** 0 when the package has none. */
  epoch: number;
  version: string;
  release: string;
  arch: string;
}

export type InventoryRole = 'image' | 'base';

/** Lists above this many bytes of JSON are stored gzip-compressed. */
export const COMPRESS_ABOVE_BYTES = 32 * 1024;

const pad = (version: number) => String(version).padStart(6, '0');

export const inventoryKeys = {
  item: (pipeline: string, version: number, role: InventoryRole) => ({ pk: `PIPELINE#${pipeline}`, sk: `INVENTORY#${pad(version)}#${role.toUpperCase()}` }),
  prefix: 'INVENTORY#',
};

/** `[epoch:]version-release.arch`, as rpm -q prints it (epoch shown only when set). */
export function formatPackage(p: PackageEntry, withArch = true): string {
  return `${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}${withArch && p.arch ? `.${p.arch}` : ''}`;
}

/** Stored form of an inventory: the list (small) or its gzip (large), with its sizes. */
export interface EncodedInventory {
  count: number;
  /** Bytes of the JSON list. */
  rawBytes: number;
  /** Bytes stored: the JSON list, or its gzip. */
  storedBytes: number;
  encoding: 'list' | 'gzip';
  packages?: PackageEntry[];
  packagesGzip?: Uint8Array;
}

export function sortPackages(packages: readonly PackageEntry[]): PackageEntry[] {
  return [...packages].sort((a, b) => a.name.localeCompare(b.name) || a.arch.localeCompare(b.arch));
}

export function encodeInventory(packages: readonly PackageEntry[], compressAbove = COMPRESS_ABOVE_BYTES): EncodedInventory {
  const sorted = sortPackages(packages);
  const json = JSON.stringify(sorted);
  const rawBytes = Buffer.byteLength(json);
  if (rawBytes <= compressAbove) return { count: sorted.length, rawBytes, storedBytes: rawBytes, encoding: 'list', packages: sorted };
  const gzip = gzipSync(json, { level: 9 });
  return { count: sorted.length, rawBytes, storedBytes: gzip.length, encoding: 'gzip', packagesGzip: new Uint8Array(gzip) };
}

/** The packages of a stored inventory item (either encoding). */
export function decodeInventory(item: { encoding?: unknown; packages?: unknown; packagesGzip?: unknown }): PackageEntry[] {
  if (item.encoding === 'gzip' && item.packagesGzip instanceof Uint8Array) {
    return JSON.parse(gunzipSync(item.packagesGzip).toString('utf8')) as PackageEntry[];
  }
  return Array.isArray(item.packages) ? (item.packages as PackageEntry[]) : [];
}

// ---- versions ----------------------------------------------------------------------------------------------------

/** rpm's segment comparison of two version (or release) strings: -1, 0 or 1. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  const separator = /[^A-Za-z0-9~^]/;
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < a.length && separator.test(a[i])) i++;
    while (j < b.length && separator.test(b[j])) j++;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = /[0-9]/.test(a[i]);
    const run = numeric ? /^[0-9]+/ : /^[A-Za-z]+/;
    const left = run.exec(a.slice(i))?.[0] ?? '';
    const right = run.exec(b.slice(j))?.[0];
    // A digit run is newer than a letter run.
    if (right === undefined) return numeric ? 1 : -1;
    i += left.length;
    j += right.length;
    if (numeric) {
      const x = left.replace(/^0+/, '');
      const y = right.replace(/^0+/, '');
      if (x.length !== y.length) return x.length > y.length ? 1 : -1;
      if (x !== y) return x > y ? 1 : -1;
    } else if (left !== right) {
      return left > right ? 1 : -1;
    }
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

export interface VersionBound {
  epoch?: number;
  version: string;
  release?: string;
}

/** `[epoch:]version[-release]`; the version starts with a letter or digit (so `>>1` or `>=` alone is refused). */
export function parseVersion(text: string): VersionBound {
  const match = /^(?:(\d+):)?([A-Za-z0-9][^-\s:]*)(?:-([^\s:]+))?$/.exec(text);
  if (!match) throw new InvalidVersionRange(`"${text}" is not a version ([epoch:]version[-release])`);
  return { ...(match[1] !== undefined ? { epoch: Number(match[1]) } : {}), version: match[2], ...(match[3] !== undefined ? { release: match[3] } : {}) };
}

/** A package's version against a bound: only the parts the bound gives (epoch when given, release when given). */
export function compareToBound(p: PackageEntry, bound: VersionBound): number {
  if (bound.epoch !== undefined && p.epoch !== bound.epoch) return p.epoch > bound.epoch ? 1 : -1;
  const version = rpmvercmp(p.version, bound.version);
  if (version !== 0 || bound.release === undefined) return version;
  return rpmvercmp(p.release, bound.release);
}

/** Two packages' full epoch:version-release order. */
export function comparePackages(a: PackageEntry, b: PackageEntry): number {
  return compareToBound(a, { epoch: b.epoch, version: b.version, release: b.release });
}

export class InvalidVersionRange extends Error {
  override name = 'InvalidVersionRange';
}

type Comparator = '>=' | '>' | '<=' | '<' | '=';
export type VersionRange = Array<{ op: Comparator; bound: VersionBound }>;

export function parseVersionRange(text: string): VersionRange {
  const parts = text.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) throw new InvalidVersionRange('the version range is empty');
  return parts.map((part) => {
    const match = /^(>=|<=|>|<|==?)?(.+)$/.exec(part);
    if (!match) throw new InvalidVersionRange(`"${part}" is not a comparator (>=, >, <=, <, = followed by a version)`);
    const op = (match[1] === '==' ? '=' : match[1] ?? '=') as Comparator;
    return { op, bound: parseVersion(match[2]) };
  });
}

export function inRange(p: PackageEntry, range: VersionRange): boolean {
  return range.every(({ op, bound }) => {
    const c = compareToBound(p, bound);
    switch (op) {
      case '>=': return c >= 0;
      case '>': return c > 0;
      case '<=': return c <= 0;
      case '<': return c < 0;
      default: return c === 0;
    }
  });
}

// ---- differences -------------------------------------------------------------------------------------------------

export interface InventoryDiff {
  added: PackageEntry[];
  removed: PackageEntry[];
  /** Same name and architecture, another epoch:version-release; `upgrade` when newer. */
  changed: Array<{ name: string; arch: string; from: string; to: string; upgrade: boolean }>;
}

/** What changed from `base` to `image`, by package name and architecture. */
export function diffInventories(base: readonly PackageEntry[], image: readonly PackageEntry[]): InventoryDiff {
  const key = (p: PackageEntry) => `${p.name}\u0000${p.arch}`;
  const before = new Map(base.map((p) => [key(p), p]));
  const after = new Map(image.map((p) => [key(p), p]));
  const diff: InventoryDiff = { added: [], removed: [], changed: [] };
  for (const [k, p] of after) {
    const old = before.get(k);
    if (!old) diff.added.push(p);
    else if (comparePackages(old, p) !== 0) diff.changed.push({ name: p.name, arch: p.arch, from: formatPackage(old, false), to: formatPackage(p, false), upgrade: comparePackages(p, old) > 0 });
  }
  for (const [k, p] of before) if (!after.has(k)) diff.removed.push(p);
  diff.added = sortPackages(diff.added);
  diff.removed = sortPackages(diff.removed);
  diff.changed.sort((a, b) => a.name.localeCompare(b.name) || a.arch.localeCompare(b.arch));
  return diff;
}
