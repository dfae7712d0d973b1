/**
 * Inventory → vulnerabilities: which catalog records apply to a software state, with the installed packages
 * that are vulnerable (older than the fixed build by rpm or dpkg ordering).
 */
import type { InstalledPackage, SoftwareState } from '../packages/types';
import { compareEvr, parseEvr } from '../packages/version';
import { CATALOG, type CatalogRecord } from './catalog';

/** Platforms the simulated Inspector scans (agent-based, through SSM inventory). */
export const SCANNABLE_PLATFORMS: ReadonlySet<string> = new Set(['AMAZON_LINUX_2023', 'UBUNTU_22_04']);

export interface VulnerabilityMatch {
  record: CatalogRecord;
  /** Installed packages the record makes vulnerable (at least one). */
  packages: InstalledPackage[];
}

export function isScannable(software: SoftwareState): boolean {
  return SCANNABLE_PLATFORMS.has(software.os.platform);
}

/** Whether `pkg` is in the record's vulnerable range. */
export function isVulnerable(pkg: InstalledPackage, record: CatalogRecord, software: SoftwareState): boolean {
  const format = software.os.format;
  if (compareEvr(pkg, parseEvr(record.fixedIn, format), format) >= 0) return false;
  return record.vulnerableFrom === undefined || compareEvr(pkg, parseEvr(record.vulnerableFrom, format), format) >= 0;
}

/** Every catalog record that applies to `software`, in catalog order. */
export function matchInventory(software: SoftwareState, catalog: readonly CatalogRecord[] = CATALOG): VulnerabilityMatch[] {
  if (!isScannable(software)) return [];
  const matches: VulnerabilityMatch[] = [];
  for (const record of catalog) {
    if (record.platform !== software.os.platform) continue;
    const packages = record.packages.map((name) => software.packages[name]).filter((pkg): pkg is InstalledPackage => pkg !== undefined && isVulnerable(pkg, record, software));
    if (packages.length > 0) matches.push({ record, packages });
  }
  return matches;
}

/** Count of matches per severity (scan gate evidence, tests). */
export function severityCounts(matches: VulnerabilityMatch[]): Record<string, number> {
  const counts: Record<string, number> = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNTRIAGED: 0 };
  for (const m of matches) counts[m.record.severity] = (counts[m.record.severity] ?? 0) + 1;
  return counts;
}
