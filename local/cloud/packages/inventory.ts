/**
 * Operations on a package inventory (`SoftwareState.packages`): copy, look up, install, remove, and plan an
 * upgrade against a repository the way dnf/apt would (newest version wins, by rpm or dpkg ordering).
 * Pure functions over plain data; the shell interpreter (`../ssm/shell.ts`) and the images/instances of the
 * world call them.
 */
import type { InstalledPackage, PackageFormat, SoftwareState } from './types';
import { compareEvr, formatEvr, parseEvr } from './version';

/** A package as the repository offers it. */
export interface RepositoryPackage extends InstalledPackage {
  /** Security advisories this update carries (dnf `--security` / unattended security upgrades use it). */
  security: string[];
  /** Packages installed together with this one. */
  requires: string[];
}

/** What `dnf upgrade` / `apt-get upgrade` would install: the newest build of every package, by name. */
export interface PackageRepository {
  /** e.g. `amazonlinux` (AL2023) or `jammy-updates` (Ubuntu). */
  name: string;
  format: PackageFormat;
  /** Release the repository is at, e.g. `2023.11.20260427`. */
  release: string;
  packages: Record<string, RepositoryPackage>;
}

export interface PackageChange {
  name: string;
  arch: string;
  from?: string;
  to?: string;
  security: string[];
}

/** Deep copy, so an image and the instances launched from it never share state. */
export function cloneSoftware(software: SoftwareState): SoftwareState {
  return {
    os: { ...software.os },
    ssmAgent: software.ssmAgent,
    packages: Object.fromEntries(Object.entries(software.packages).map(([name, pkg]) => [name, { ...pkg }])),
    files: { ...software.files },
    ...(software.modes && { modes: { ...software.modes } }),
    ...(software.links && { links: { ...software.links } }),
  };
}

/** `name-version-release.arch` as `rpm -q` prints it (epoch omitted, as rpm does by default). */
export function rpmNevra(pkg: InstalledPackage): string {
  return `${pkg.name}-${pkg.version}${pkg.release ? `-${pkg.release}` : ''}.${pkg.arch}`;
}

/** `[epoch:]version-release`. */
export function packageVersion(pkg: InstalledPackage): string {
  return formatEvr(pkg);
}

/** Build an InstalledPackage from `name`, `[epoch:]version-release` and an architecture. */
export function makePackage(name: string, evr: string, arch: string, format: PackageFormat): InstalledPackage {
  const parsed = parseEvr(evr, format);
  return { name, epoch: parsed.epoch, version: parsed.version, release: parsed.release, arch };
}

/** Architecture a repository package gets on an instance of `machineArch` (noarch / all stay as they are). */
export function archFor(pkg: InstalledPackage, machineArch: string): string {
  return pkg.arch === 'noarch' || pkg.arch === 'all' ? pkg.arch : machineArch;
}

/** The instance's machine architecture, from the installed packages (x86_64/aarch64, or amd64/arm64 on deb). */
export function machineArchitecture(software: SoftwareState): string {
  for (const pkg of Object.values(software.packages)) {
    if (pkg.arch !== 'noarch' && pkg.arch !== 'all') return pkg.arch;
  }
  return software.os.format === 'deb' ? 'amd64' : 'x86_64';
}

/**
 * The upgrades the repository offers for the installed packages (`dnf check-update`), optionally only those
 * carrying a security advisory (`dnf upgrade --security`) and optionally only for `names`.
 */
export function planUpgrade(
  software: SoftwareState,
  repository: PackageRepository,
  options: { securityOnly?: boolean; names?: string[] } = {},
): PackageChange[] {
  const changes: PackageChange[] = [];
  const wanted = options.names ? new Set(options.names) : undefined;
  for (const installed of Object.values(software.packages)) {
    if (wanted && !wanted.has(installed.name)) continue;
    const candidate = repository.packages[installed.name];
    if (!candidate) continue;
    if (compareEvr(installed, candidate, repository.format) >= 0) continue;
    if (options.securityOnly && candidate.security.length === 0) continue;
    changes.push({
      name: installed.name,
      arch: installed.arch,
      from: packageVersion(installed),
      to: packageVersion(candidate),
      security: [...candidate.security],
    });
  }
  return changes.sort((a, b) => a.name.localeCompare(b.name));
}

/** Apply planned upgrades (or installs) to the inventory. */
export function applyChanges(software: SoftwareState, changes: PackageChange[]): void {
  for (const change of changes) {
    if (change.to === undefined) {
      delete software.packages[change.name];
      continue;
    }
    software.packages[change.name] = makePackage(change.name, change.to, change.arch, software.os.format);
  }
}

export class PackageNotFound extends Error {
  constructor(readonly packageName: string) {
    super(`No match for argument: ${packageName}`);
    this.name = 'PackageNotFound';
  }
}

/**
 * Plan `install names`: the named packages and what they require, at the repository version; already
 * installed packages at an older version are upgraded (dnf and apt both do that for named packages).
 * Throws PackageNotFound for a name the repository does not have.
 */
export function planInstall(software: SoftwareState, repository: PackageRepository, names: string[]): PackageChange[] {
  const machineArch = machineArchitecture(software);
  const changes = new Map<string, PackageChange>();
  const visit = (name: string): void => {
    if (changes.has(name)) return;
    const candidate = repository.packages[name];
    if (!candidate) throw new PackageNotFound(name);
    const installed = software.packages[name];
    if (installed && compareEvr(installed, candidate, repository.format) >= 0) return;
    changes.set(name, {
      name,
      arch: installed?.arch ?? archFor(candidate, machineArch),
      from: installed ? packageVersion(installed) : undefined,
      to: packageVersion(candidate),
      security: [...candidate.security],
    });
    for (const dependency of candidate.requires) visit(dependency);
  };
  for (const name of names) visit(name);
  return [...changes.values()];
}

/** Plan `remove names` (names that are not installed are reported by the caller). */
export function planRemove(software: SoftwareState, names: string[]): PackageChange[] {
  return names
    .filter((name) => software.packages[name])
    .map((name) => {
      const installed = software.packages[name];
      return { name, arch: installed.arch, from: packageVersion(installed), to: undefined, security: [] };
    });
}
