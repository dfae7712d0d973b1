/**
 * The difference between this image and the previous approved image of the pipeline, as the evidence page
 * shows it: packages added / removed / changed version, CVEs fixed / new / still open. Each half is computed
 * only from complete lists on both sides; otherwise it is "not available" with the reason, never guessed.
 */
import type { ApprovalEvidence, InstalledPackage } from './record';

export type Availability<T> = { available: true; value: T } | { available: false; reason: string };

export interface PackageDiff {
  added: InstalledPackage[];
  removed: InstalledPackage[];
  changed: { name: string; from: string; to: string }[];
}

export interface CveDiff {
  fixed: string[];
  introduced: string[];
  stillOpen: string[];
}

export interface ImageDiff {
  previous?: { version: number; imageId: string };
  packages: Availability<PackageDiff>;
  cves: Availability<CveDiff>;
}

const byName = (list: readonly InstalledPackage[]) => new Map(list.map((p) => [p.name, p.version]));
const sorted = <T>(list: T[], key: (item: T) => string) => list.sort((a, b) => key(a).localeCompare(key(b)));

export function diffPackages(previous: readonly InstalledPackage[], current: readonly InstalledPackage[]): PackageDiff {
  const before = byName(previous);
  const after = byName(current);
  const added = [...after].filter(([name]) => !before.has(name)).map(([name, version]) => ({ name, version }));
  const removed = [...before].filter(([name]) => !after.has(name)).map(([name, version]) => ({ name, version }));
  const changed = [...after]
    .filter(([name, version]) => before.has(name) && before.get(name) !== version)
    .map(([name, to]) => ({ name, from: before.get(name) ?? '', to }));
  return { added: sorted(added, (p) => p.name), removed: sorted(removed, (p) => p.name), changed: sorted(changed, (p) => p.name) };
}

export function diffCves(previous: readonly string[], current: readonly string[]): CveDiff {
  const before = new Set(previous);
  const after = new Set(current);
  return {
    fixed: [...before].filter((id) => !after.has(id)).sort(),
    introduced: [...after].filter((id) => !before.has(id)).sort(),
    stillOpen: [...after].filter((id) => before.has(id)).sort(),
  };
}

export function diffToPrevious(evidence: ApprovalEvidence): ImageDiff {
  const { previous } = evidence;
  if (!previous) {
    const reason = 'no previous approved image of this pipeline';
    return { packages: { available: false, reason }, cves: { available: false, reason } };
  }
  const missing = (what: string, mine: unknown, theirs: unknown) =>
    !mine && !theirs ? `no ${what} recorded for either image` : !mine ? `no ${what} recorded for this image` : `no ${what} recorded for v${previous.version}`;
  return {
    previous: { version: previous.version, imageId: previous.imageId },
    packages:
      evidence.packages && previous.packages
        ? { available: true, value: diffPackages(previous.packages, evidence.packages) }
        : { available: false, reason: missing('package inventory', evidence.packages, previous.packages) },
    cves:
      evidence.vulnerabilityIds && previous.vulnerabilityIds
        ? { available: true, value: diffCves(previous.vulnerabilityIds, evidence.vulnerabilityIds) }
        : { available: false, reason: missing('complete finding list', evidence.vulnerabilityIds, previous.vulnerabilityIds) },
  };
}
