/**
 * The package repositories the simulated instances reach: what `dnf upgrade` (AL2023) or
 * `apt-get update && apt-get upgrade` (Ubuntu 22.04) would install today. Built from the rows in `data/`.
 */
import { AL2023_CURRENT_RELEASE, AL2023_ROWS, type PackageRow } from './data/al2023';
import { UBUNTU_2204_CURRENT_SERIAL, UBUNTU_2204_ROWS } from './data/ubuntu2204';
import type { PackageRepository, RepositoryPackage } from './inventory';
import { makePackage } from './inventory';
import type { PackageFormat } from './types';

function buildRepository(name: string, format: PackageFormat, release: string, rows: PackageRow[]): PackageRepository {
  const noarch = format === 'deb' ? 'all' : 'noarch';
  const packages: Record<string, RepositoryPackage> = {};
  for (const r of rows) {
    // Repository entries carry a placeholder architecture; installs resolve `native` to the machine's.
    const base = makePackage(r.name, r.current, r.arch === 'noarch' ? noarch : 'native', format);
    packages[r.name] = { ...base, security: r.security ?? [], requires: r.requires ?? [] };
  }
  return { name, format, release, packages };
}

let al2023: PackageRepository | undefined;
let jammy: PackageRepository | undefined;

/** The repository for an Inspector platform string, or undefined (e.g. Windows: no dnf/apt). */
export function repositoryForPlatform(platform: string): PackageRepository | undefined {
  if (platform === 'AMAZON_LINUX_2023') {
    al2023 ??= buildRepository('amazonlinux', 'rpm', AL2023_CURRENT_RELEASE, AL2023_ROWS);
    return al2023;
  }
  if (platform === 'UBUNTU_22_04') {
    jammy ??= buildRepository('jammy-updates', 'deb', UBUNTU_2204_CURRENT_SERIAL, UBUNTU_2204_ROWS);
    return jammy;
  }
  return undefined;
}
