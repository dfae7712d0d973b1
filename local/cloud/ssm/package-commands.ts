/**
 * Package-manager and service commands of the simulated instance: dnf/yum and rpm (Amazon Linux), apt-get/apt,
 * dpkg, dpkg-query and unattended-upgrade (Ubuntu), systemctl/service/journalctl, cloud-init. They change the
 * instance's package inventory against the platform's repository (`../packages/repository.ts`), which the
 * Inspector simulation scans, and print what dnf 4 / apt 2.4 print. Each family's commands exist on its images
 * only.
 */
import { applyChanges, planInstall, planRemove, planUpgrade, rpmNevra, PackageNotFound, type PackageChange } from '../packages/inventory';
import type { InstalledPackage } from '../packages/types';
import type { Invocation, Machine, SimulatedCommand } from './machine';
import { stableNumber } from './stable';

type Io = Invocation;
type CommandImpl = (args: string[], io: Io, sh: Machine) => number | Promise<number>;

const RULE = '='.repeat(80);

/** What bash says for a command the image does not have (the message the interpreter prints for its own). */
function notFound(io: Io, name: string): number {
  io.err(`bash: ${name}: command not found\n`);
  return 127;
}

function sizeKb(name: string): number {
  return stableNumber(name, 24, 3200);
}

function formatSize(kb: number): string {
  return kb >= 1024 ? `${(kb / 1024).toFixed(1)} M` : `${kb} k`;
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text + ' '.repeat(width - text.length);
}

function nevraOf(change: PackageChange, version: string | undefined): string {
  const v = (version ?? '').replace(/^\d+:/, '');
  return `${change.name}-${v}.${change.arch}`;
}

// ------------------------------------------------------------------------------------------------- dnf / yum

function dnfMetadata(sh: Machine, io: Io, quiet: boolean): void {
  if (sh.dnfMetadataFetched) {
    if (!quiet) io.out(`Last metadata expiration check: 0:00:0${Math.min(9, 1 + Math.floor(sh.elapsedMs / 60000))} ago on ${new Date(sh.now).toUTCString().replace(' GMT', '')}.\n`);
    return;
  }
  sh.dnfMetadataFetched = true;
  io.spend(4000);
  if (!quiet) {
    io.out('Amazon Linux 2023 repository                     41 MB/s |  30 MB     00:00\n');
    io.out('Amazon Linux 2023 Kernel Livepatch repository    48 kB/s |  19 kB     00:00\n');
  }
}

function dnfTable(sh: Machine, sections: { title: string; changes: PackageChange[]; useFrom?: boolean }[]): string {
  const rows: string[] = [RULE, ` ${pad('Package', 40)}${pad('Arch', 9)}${pad('Version', 36)}${pad('Repository', 14)}Size`, RULE];
  for (const section of sections) {
    if (section.changes.length === 0) continue;
    rows.push(`${section.title}:`);
    for (const c of section.changes) {
      const version = section.useFrom ? c.from : c.to;
      rows.push(` ${pad(c.name, 40)}${pad(c.arch, 9)}${pad(version ?? '', 36)}${pad(section.useFrom ? '@System' : (sh.repository?.name ?? ''), 14)}${formatSize(sizeKb(c.name))}`);
    }
  }
  return `${rows.join('\n')}\n`;
}

function dnfTransaction(sh: Machine, io: Io, changes: PackageChange[], options: { assumeYes: boolean; quiet: boolean; verb: 'Upgrade' | 'Install' | 'Remove' }): number {
  const installs = changes.filter((c) => c.from === undefined && c.to !== undefined);
  const kernelInstalls = changes.filter((c) => c.name === 'kernel' && c.from !== undefined);
  const upgrades = changes.filter((c) => c.from !== undefined && c.to !== undefined && c.name !== 'kernel');
  const removals = changes.filter((c) => c.to === undefined);
  const quiet = options.quiet;
  if (!quiet) {
    io.out('Dependencies resolved.\n');
    io.out(
      dnfTable(sh, [
        { title: 'Installing', changes: [...installs, ...kernelInstalls] },
        { title: 'Upgrading', changes: upgrades },
        { title: 'Removing', changes: removals, useFrom: true },
      ]),
    );
    io.out(`\nTransaction Summary\n${RULE}\n`);
    if (installs.length + kernelInstalls.length) io.out(`Install  ${installs.length + kernelInstalls.length} Package${installs.length + kernelInstalls.length === 1 ? '' : 's'}\n`);
    if (upgrades.length) io.out(`Upgrade  ${upgrades.length} Package${upgrades.length === 1 ? '' : 's'}\n`);
    if (removals.length) io.out(`Remove  ${removals.length} Package${removals.length === 1 ? '' : 's'}\n`);
    const totalKb = changes.filter((c) => c.to).reduce((sum, c) => sum + sizeKb(c.name), 0);
    io.out(`\n${removals.length === changes.length ? 'Freed space' : 'Total download size'}: ${formatSize(totalKb)}\n`);
  }
  if (!options.assumeYes) {
    // Non-interactive: dnf reads EOF at the prompt and aborts.
    io.out('Is this ok [y/N]: ');
    io.err('Operation aborted.\n');
    return 1;
  }
  io.spend(6000 + 350 * changes.length);
  if (!quiet) {
    const toFetch = changes.filter((c) => c.to);
    if (toFetch.length) io.out('Downloading Packages:\n');
    toFetch.forEach((c, i) => {
      io.out(`(${i + 1}/${toFetch.length}): ${nevraOf(c, c.to)}.rpm   ${stableNumber(c.name, 2, 60)} MB/s | ${formatSize(sizeKb(c.name))}B     00:00\n`);
    });
    io.out('Running transaction check\nTransaction check succeeded.\nRunning transaction test\nTransaction test succeeded.\nRunning transaction\n');
    const total = changes.length + upgrades.length;
    let step = 0;
    for (const c of changes) {
      const verb = c.to === undefined ? 'Erasing' : c.from === undefined || c.name === 'kernel' ? 'Installing' : 'Upgrading';
      io.out(`  ${pad(verb, 17)}: ${pad(nevraOf(c, c.to ?? c.from), 56)}${++step}/${total}\n`);
    }
    for (const c of upgrades) io.out(`  ${pad('Cleanup', 17)}: ${pad(nevraOf(c, c.from), 56)}${++step}/${total}\n`);
  }
  applyChanges(sh.software, changes);
  if (!quiet) {
    if (upgrades.length) io.out(`\nUpgraded:\n${upgrades.map((c) => `  ${nevraOf(c, c.to)}`).join('\n')}\n`);
    if (installs.length + kernelInstalls.length) io.out(`\nInstalled:\n${[...installs, ...kernelInstalls].map((c) => `  ${nevraOf(c, c.to)}`).join('\n')}\n`);
    if (removals.length) io.out(`\nRemoved:\n${removals.map((c) => `  ${nevraOf(c, c.from)}`).join('\n')}\n`);
    io.out('\nComplete!\n');
  }
  return 0;
}

function globToRegex(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

const dnf: CommandImpl = (args, io, sh) => {
  const repository = sh.repository;
  let assumeYes = false;
  let quiet = false;
  let security = false;
  const excludes: RegExp[] = [];
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-y' || a === '--assumeyes') assumeYes = true;
    else if (a === '-q' || a === '--quiet') quiet = true;
    else if (a === '--security') security = true;
    else if (a === '-x' || a === '--exclude') excludes.push(globToRegex(args[++i] ?? ''));
    else if (a.startsWith('--exclude=')) excludes.push(...a.slice('--exclude='.length).split(',').map(globToRegex));
    else if (a === '-e' || a === '-d' || a === '--releasever' || a === '--setopt' || a === '--enablerepo' || a === '--disablerepo') i++;
    else if (/^-[a-zA-Z]*y[a-zA-Z]*$/.test(a)) {
      assumeYes = true;
      if (a.includes('q')) quiet = true;
    } else if (!a.startsWith('-')) operands.push(a);
  }
  const [sub = '', ...names] = operands;
  if (!repository) {
    io.err('Error: Failed to download metadata for repo \'amazonlinux\'\n');
    return 1;
  }
  const excluded = (change: PackageChange) => excludes.some((re) => re.test(change.name));
  switch (sub) {
    case 'update':
    case 'upgrade':
    case 'upgrade-minimal':
    case 'update-minimal': {
      dnfMetadata(sh, io, quiet);
      const changes = planUpgrade(sh.software, repository, { securityOnly: security, names: names.length ? names : undefined }).filter((c) => !excluded(c));
      if (changes.length === 0) {
        if (!quiet) {
          if (security) io.out('No security updates needed, but 0 updates available\n');
          io.out('Dependencies resolved.\nNothing to do.\nComplete!\n');
        }
        return 0;
      }
      return dnfTransaction(sh, io, changes, { assumeYes, quiet, verb: 'Upgrade' });
    }
    case 'install':
    case 'reinstall': {
      dnfMetadata(sh, io, quiet);
      const wanted = names.map((n) => resolveDnfName(n, sh));
      let changes: PackageChange[];
      try {
        changes = planInstall(sh.software, repository, wanted);
      } catch (error) {
        if (!(error instanceof PackageNotFound)) throw error;
        io.out(`No match for argument: ${error.packageName}\n`);
        io.err(`Error: Unable to find a match: ${error.packageName}\n`);
        return 1;
      }
      if (changes.length === 0) {
        if (!quiet) {
          for (const n of wanted) {
            const p = sh.software.packages[n];
            if (p) io.out(`Package ${n}-${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}.${p.arch} is already installed.\n`);
          }
          io.out('Dependencies resolved.\nNothing to do.\nComplete!\n');
        }
        return 0;
      }
      return dnfTransaction(sh, io, changes, { assumeYes, quiet, verb: 'Install' });
    }
    case 'remove':
    case 'erase': {
      const changes = planRemove(sh.software, names);
      for (const n of names) if (!sh.software.packages[n] && !quiet) io.out(`No match for argument: ${n}\n`);
      if (changes.length === 0) {
        if (!quiet) io.out('No packages marked for removal.\nDependencies resolved.\nNothing to do.\nComplete!\n');
        return 0;
      }
      return dnfTransaction(sh, io, changes, { assumeYes, quiet, verb: 'Remove' });
    }
    case 'autoremove':
      if (!quiet) io.out('Dependencies resolved.\nNothing to do.\nComplete!\n');
      return 0;
    case 'check-update':
    case 'check-upgrade': {
      dnfMetadata(sh, io, quiet);
      const changes = planUpgrade(sh.software, repository, { securityOnly: security }).filter((c) => !excluded(c));
      if (changes.length) io.out(`\n${changes.map((c) => `${pad(`${c.name}.${c.arch}`, 40)}${pad(c.to ?? '', 36)}${repository.name}`).join('\n')}\n`);
      return changes.length ? 100 : 0;
    }
    case 'updateinfo': {
      dnfMetadata(sh, io, quiet);
      const changes = planUpgrade(sh.software, repository, { securityOnly: true });
      for (const c of changes) for (const advisory of c.security) io.out(`${pad(advisory, 22)}${pad('security', 12)}${nevraOf(c, c.to)}\n`);
      return 0;
    }
    case 'list': {
      const installed = Object.values(sh.software.packages).sort((a, b) => a.name.localeCompare(b.name));
      io.out('Installed Packages\n');
      for (const p of installed) {
        if (names.length && names[0] !== 'installed' && !names.includes(p.name)) continue;
        io.out(`${pad(`${p.name}.${p.arch}`, 40)}${pad(evr(p), 36)}@System\n`);
      }
      return 0;
    }
    case 'clean':
      if (!quiet) io.out(`${stableNumber(sh.instanceId, 12, 40)} files removed\n`);
      return 0;
    case 'makecache':
      dnfMetadata(sh, io, quiet);
      if (!quiet) io.out('Metadata cache created.\n');
      return 0;
    case 'repolist':
      io.out('repo id                               repo name\namazonlinux                           Amazon Linux 2023 repository\nkernel-livepatch                      Amazon Linux 2023 Kernel Livepatch repository\n');
      return 0;
    case 'config-manager':
    case 'versionlock':
      return 0;
    case '':
      io.err('usage: dnf [options] COMMAND\n');
      return 1;
    default:
      io.err(`No such command: ${sub}. Please use /usr/bin/dnf --help\n`);
      return 1;
  }
};

/** `nginx-1.24.0` / `nginx-1:1.24.0-1.amzn2023.0.1` → `nginx` when the repository has that name. */
function resolveDnfName(name: string, sh: Machine): string {
  if (sh.repository?.packages[name]) return name;
  const m = /^(.+?)-\d+:?[\w.~^]*(-[\w.~^]+)?(\.(x86_64|aarch64|noarch))?$/.exec(name);
  if (m && sh.repository?.packages[m[1]]) return m[1];
  return name;
}

function evr(p: InstalledPackage): string {
  return `${p.epoch ? `${p.epoch}:` : ''}${p.version}${p.release ? `-${p.release}` : ''}`;
}

// ------------------------------------------------------------------------------------------------- apt

const APT_LISTS_STAMP = '/var/lib/apt/periodic/update-success-stamp';

function aptListsFetched(io: Io): Promise<boolean> {
  return io.fs.exists(APT_LISTS_STAMP);
}

function aptHeader(io: Io, quiet: boolean): void {
  if (!quiet) io.out('Reading package lists...\nBuilding dependency tree...\nReading state information...\n');
}

function aptSummary(io: Io, changes: PackageChange[]): void {
  const upgraded = changes.filter((c) => c.from && c.to).length;
  const installed = changes.filter((c) => !c.from && c.to).length;
  const removed = changes.filter((c) => !c.to).length;
  io.out(`${upgraded} upgraded, ${installed} newly installed, ${removed} to remove and 0 not upgraded.\n`);
}

function aptTransaction(sh: Machine, io: Io, changes: PackageChange[], assumeYes: boolean, quiet: boolean): number {
  const newInstalls = changes.filter((c) => !c.from && c.to);
  const upgrades = changes.filter((c) => c.from && c.to);
  const removals = changes.filter((c) => !c.to);
  if (!quiet) {
    if (newInstalls.length) io.out(`The following NEW packages will be installed:\n  ${newInstalls.map((c) => c.name).join(' ')}\n`);
    if (upgrades.length) io.out(`The following packages will be upgraded:\n  ${upgrades.map((c) => c.name).join(' ')}\n`);
    if (removals.length) io.out(`The following packages will be REMOVED:\n  ${removals.map((c) => c.name).join(' ')}\n`);
  }
  aptSummary(io, changes);
  if (changes.length === 0) return 0;
  const kb = changes.filter((c) => c.to).reduce((sum, c) => sum + sizeKb(c.name), 0);
  if (!quiet) io.out(`Need to get ${(kb / 1024).toFixed(1)} MB of archives.\nAfter this operation, ${stableNumber(changes.map((c) => c.name).join(), 8, 900)} kB of additional disk space will be used.\n`);
  if (!assumeYes) {
    io.out('Do you want to continue? [Y/n] Abort.\n');
    return 1;
  }
  io.spend(5000 + 400 * changes.length);
  if (!quiet) {
    changes
      .filter((c) => c.to)
      .forEach((c, i) => io.out(`Get:${i + 1} http://eu-west-1.ec2.archive.ubuntu.com/ubuntu jammy-updates/main ${c.arch} ${c.name} ${c.arch} ${c.to} [${sizeKb(c.name)} kB]\n`));
    io.out(`Fetched ${(kb / 1024).toFixed(1)} MB in ${Math.max(1, Math.round(changes.length / 8))}s (${stableNumber(String(kb), 5, 60)}.0 MB/s)\n`);
    io.out('(Reading database ... 64201 files and directories currently installed.)\n');
    for (const c of changes) {
      const version = (c.to ?? '').replace(/^\d+:/, '');
      if (!c.to) io.out(`Removing ${c.name} (${c.from}) ...\n`);
      else {
        io.out(`Preparing to unpack .../${c.name}_${version}_${c.arch}.deb ...\n`);
        io.out(c.from ? `Unpacking ${c.name}:${c.arch} (${c.to}) over (${c.from}) ...\n` : `Selecting previously unselected package ${c.name}.\nUnpacking ${c.name}:${c.arch} (${c.to}) ...\n`);
      }
    }
    for (const c of changes) if (c.to) io.out(`Setting up ${c.name}:${c.arch} (${c.to}) ...\n`);
    io.out('Processing triggers for man-db (2.10.2-1) ...\nProcessing triggers for libc-bin (2.35-0ubuntu3.1) ...\n');
  }
  applyChanges(sh.software, changes);
  return 0;
}

function aptGet(binary: 'apt-get' | 'apt'): CommandImpl {
  return async (args, io, sh) => {
    if (binary === 'apt') io.err('\nWARNING: apt does not have a stable CLI interface. Use with caution in scripts.\n\n');
    const repository = sh.repository;
    let assumeYes = false;
    let quiet = false;
    const operands: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '-y' || a === '--yes' || a === '--assume-yes') assumeYes = true;
      else if (a === '-q' || a === '-qq' || a === '--quiet') quiet = true;
      else if (a === '-o' || a === '-c' || a === '-t') i++;
      else if (/^-[a-z]+$/.test(a)) {
        if (a.includes('y')) assumeYes = true;
        if (a.includes('q')) quiet = true;
      } else if (!a.startsWith('-')) operands.push(a);
    }
    const [sub = '', ...names] = operands;
    if (!repository) return 100;
    switch (sub) {
      case 'update': {
        io.spend(5000);
        if (!quiet) {
          io.out('Hit:1 http://eu-west-1.ec2.archive.ubuntu.com/ubuntu jammy InRelease\n');
          io.out('Get:2 http://eu-west-1.ec2.archive.ubuntu.com/ubuntu jammy-updates InRelease [128 kB]\n');
          io.out('Get:3 http://eu-west-1.ec2.archive.ubuntu.com/ubuntu jammy-backports InRelease [127 kB]\n');
          io.out('Get:4 http://security.ubuntu.com/ubuntu jammy-security InRelease [129 kB]\n');
          io.out('Fetched 384 kB in 1s (412 kB/s)\n');
          io.out('Reading package lists...\n');
        }
        await io.fs.mkdir(APT_LISTS_STAMP.slice(0, APT_LISTS_STAMP.lastIndexOf('/')), { recursive: true });
        await io.fs.writeFile(APT_LISTS_STAMP, '');
        return 0;
      }
      case 'upgrade':
      case 'dist-upgrade':
      case 'full-upgrade': {
        aptHeader(io, quiet);
        if (!quiet) io.out('Calculating upgrade...\n');
        // Without `apt-get update` the (empty, in cloud images) package lists offer no newer versions.
        const changes = (await aptListsFetched(io)) ? planUpgrade(sh.software, repository, { names: names.length ? names : undefined }) : [];
        return aptTransaction(sh, io, changes, assumeYes, quiet);
      }
      case 'install': {
        aptHeader(io, quiet);
        if (!(await aptListsFetched(io))) {
          io.err(`E: Unable to locate package ${names[0] ?? ''}\n`);
          return 100;
        }
        let changes: PackageChange[];
        try {
          changes = planInstall(sh.software, repository, names.map((n) => n.split('=')[0]));
        } catch (error) {
          if (!(error instanceof PackageNotFound)) throw error;
          io.err(`E: Unable to locate package ${error.packageName}\n`);
          return 100;
        }
        if (changes.length === 0) {
          for (const n of names) {
            const p = sh.software.packages[n];
            if (p) io.out(`${n} is already the newest version (${evr(p)}).\n`);
          }
        }
        return aptTransaction(sh, io, changes, assumeYes, quiet);
      }
      case 'remove':
      case 'purge': {
        aptHeader(io, quiet);
        for (const n of names) if (!sh.software.packages[n]) io.out(`Package '${n}' is not installed, so not removed\n`);
        return aptTransaction(sh, io, planRemove(sh.software, names), assumeYes, quiet);
      }
      case 'autoremove':
      case 'clean':
      case 'autoclean':
        aptHeader(io, quiet || sub !== 'autoremove');
        if (sub === 'autoremove') aptSummary(io, []);
        return 0;
      case '':
        io.err(`${binary}: no operation given\n`);
        return 1;
      default:
        io.err(`E: Invalid operation ${sub}\n`);
        return 100;
    }
  };
}

/** Ubuntu's unattended-upgrades: security updates only (from jammy-security), non-interactive. */
const unattendedUpgrade: CommandImpl = async (_args, io, sh) => {
  if (!sh.repository) return notFound(io, 'unattended-upgrade');
  if (!(await aptListsFetched(io))) return 0;
  const changes = planUpgrade(sh.software, sh.repository, { securityOnly: true });
  io.spend(5000 + 400 * changes.length);
  applyChanges(sh.software, changes);
  return 0;
};

// ------------------------------------------------------------------------------------------------- rpm / dpkg

const rpm: CommandImpl = (args, io, sh) => {
  const queryFormat = (() => {
    const i = args.findIndex((a) => a === '--qf' || a === '--queryformat');
    if (i >= 0) return args[i + 1];
    const inline = args.find((a) => a.startsWith('--qf=') || a.startsWith('--queryformat='));
    return inline?.slice(inline.indexOf('=') + 1);
  })();
  const names = args.filter((a, i) => !a.startsWith('-') && !['--qf', '--queryformat'].includes(args[i - 1] ?? ''));
  const show = (p: InstalledPackage) =>
    queryFormat
      ? queryFormat
          .replace(/%\{NAME\}/g, p.name)
          .replace(/%\{VERSION\}/g, p.version)
          .replace(/%\{RELEASE\}/g, p.release)
          .replace(/%\{ARCH\}/g, p.arch)
          .replace(/%\{EPOCH\}/g, p.epoch ? String(p.epoch) : '(none)')
          .replace(/\\n/g, '\n')
      : `${rpmNevra(p)}\n`;
  const mode = args.find((a) => /^-[a-zA-Z]+$/.test(a) || a === '--import' || a === '--erase') ?? '';
  if (mode === '--import') return 0;
  if (mode.startsWith('-e') || mode === '--erase') {
    const missing = names.filter((n) => !sh.software.packages[n]);
    if (missing.length) {
      io.err(missing.map((n) => `error: package ${n} is not installed\n`).join(''));
      return 1;
    }
    applyChanges(sh.software, planRemove(sh.software, names));
    return 0;
  }
  if (mode.startsWith('-q')) {
    if (mode.includes('a')) {
      Object.values(sh.software.packages)
        .sort((a, b) => a.name.localeCompare(b.name))
        .forEach((p) => io.out(show(p)));
      return 0;
    }
    let failures = 0;
    for (const n of names) {
      const p = sh.software.packages[n];
      if (p) io.out(show(p));
      else {
        io.out(`package ${n} is not installed\n`);
        failures++;
      }
    }
    return Math.min(failures, 255);
  }
  io.err('rpm: no operation specified\n');
  return 1;
};

const dpkg: CommandImpl = (args, io, sh) => {
  const names = args.filter((a) => !a.startsWith('-'));
  if (args.includes('-l') || args.includes('--list')) {
    io.out('Desired=Unknown/Install/Remove/Purge/Hold\n| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend\n|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)\n||/ Name           Version      Architecture Description\n+++-==============-============-============-=================================\n');
    const packages = Object.values(sh.software.packages).filter((p) => names.length === 0 || names.includes(p.name));
    for (const p of packages.sort((a, b) => a.name.localeCompare(b.name))) io.out(`ii  ${pad(p.name, 15)}${pad(evr(p), 13)}${pad(p.arch, 13)}\n`);
    const missing = names.filter((n) => !sh.software.packages[n]);
    for (const n of missing) io.err(`dpkg-query: no packages found matching ${n}\n`);
    return missing.length ? 1 : 0;
  }
  if (args.includes('-s') || args.includes('--status')) {
    let status = 0;
    for (const n of names) {
      const p = sh.software.packages[n];
      if (!p) {
        io.err(`dpkg-query: package '${n}' is not installed and no information is available\n`);
        status = 1;
        continue;
      }
      io.out(`Package: ${p.name}\nStatus: install ok installed\nArchitecture: ${p.arch}\nVersion: ${evr(p)}\n`);
    }
    return status;
  }
  if (args.includes('--configure')) return 0;
  io.err('dpkg: error: need an action option\n');
  return 2;
};

const dpkgQuery: CommandImpl = (args, io, sh) => {
  const fIndex = args.findIndex((a) => a === '-f' || a === '--showformat');
  const inline = args.find((a) => a.startsWith('--showformat='));
  const format = fIndex >= 0 ? args[fIndex + 1] : inline?.slice('--showformat='.length);
  const names = args.filter((a, i) => !a.startsWith('-') && i !== fIndex + 1);
  let status = 0;
  for (const n of names) {
    const p = sh.software.packages[n];
    if (!p) {
      io.err(`dpkg-query: no packages found matching ${n}\n`);
      status = 1;
      continue;
    }
    io.out(
      format
        ? format
            .replace(/\$\{Package\}/g, p.name)
            .replace(/\$\{Version\}/g, evr(p))
            .replace(/\$\{Architecture\}/g, p.arch)
            .replace(/\$\{Status\}/g, 'install ok installed')
            .replace(/\\n/g, '\n')
        : `${p.name}\t${evr(p)}\n`,
    );
  }
  return status;
};

// ------------------------------------------------------------------------------------------------- systemd

/** Units and the package that provides them; [] = part of every image of that family. */
const AL2023_UNITS: Record<string, string[]> = {
  sshd: ['openssh-server'],
  'amazon-ssm-agent': ['amazon-ssm-agent'],
  nginx: ['nginx'],
  auditd: ['audit'],
  chronyd: [],
  'cloud-init': [],
  'cloud-final': [],
  'systemd-journald': [],
  'systemd-logind': [],
  'systemd-resolved': [],
  'systemd-networkd': [],
  'dnf-makecache': [],
  'dnf-makecache.timer': [],
  ecs: ['ecs-init'],
  crond: ['cronie'],
  docker: ['docker'],
  httpd: ['httpd'],
  'amazon-cloudwatch-agent': ['amazon-cloudwatch-agent'],
};

const UBUNTU_UNITS: Record<string, string[]> = {
  ssh: ['openssh-server'],
  sshd: ['openssh-server'],
  'snap.amazon-ssm-agent.amazon-ssm-agent': [],
  nginx: ['nginx'],
  'systemd-timesyncd': [],
  'systemd-journald': [],
  'systemd-resolved': [],
  'cloud-init': [],
  'unattended-upgrades': [],
  'apt-daily.timer': [],
  'apt-daily-upgrade.timer': [],
  cron: [],
  rsyslog: [],
};

async function unitExists(sh: Machine, io: Io, unit: string): Promise<boolean> {
  const units = sh.isUbuntu ? UBUNTU_UNITS : AL2023_UNITS;
  const providers = units[unit];
  if (providers === undefined) return io.fs.exists(`/etc/systemd/system/${unit}.service`);
  return providers.every((p) => sh.software.packages[p] !== undefined);
}

const systemctl: CommandImpl = async (args, io, sh) => {
  const operands = args.filter((a) => !a.startsWith('-'));
  const [sub = '', ...rawUnits] = operands;
  const units = rawUnits.map((u) => u.replace(/\.service$/, ''));
  const stopped = sh.stoppedUnits;
  const wants = (unit: string) => `/etc/systemd/system/multi-user.target.wants/${unit}.service`;
  if (sub === 'daemon-reload' || sub === 'daemon-reexec' || sub === 'list-units' || sub === 'list-unit-files') return 0;
  if (units.length === 0) {
    io.err(`Too few arguments.\n`);
    return 1;
  }
  for (const unit of units) {
    if (!(await unitExists(sh, io, unit))) {
      if (sub === 'is-active') {
        io.out('inactive\n');
        return 3;
      }
      if (sub === 'is-enabled') {
        io.err(`Failed to get unit file state for ${unit}.service: No such file or directory\n`);
        return 1;
      }
      if (sub === 'status') {
        io.err(`Unit ${unit}.service could not be found.\n`);
        return 4;
      }
      const verb = { start: 'start', stop: 'stop', restart: 'restart', reload: 'reload', 'try-restart': 'try-restart', enable: 'enable', disable: 'disable' }[sub] ?? sub;
      io.err(`Failed to ${verb} ${unit}.service: Unit ${unit}.service not found.\n`);
      return 5;
    }
  }
  switch (sub) {
    case 'start':
    case 'restart':
    case 'reload':
    case 'try-restart':
    case 'reload-or-restart':
      io.spend(500 * units.length);
      for (const unit of units) stopped.delete(unit);
      if (args.includes('--now')) return 0;
      return 0;
    case 'stop':
    case 'kill':
      for (const unit of units) stopped.add(unit);
      return 0;
    case 'enable':
    case 'unmask':
      for (const unit of units) {
        // Kept as a file holding the link target (how images of the simulator have always carried it).
        if (!(await io.fs.exists(wants(unit)))) io.err(`Created symlink ${wants(unit)} → /usr/lib/systemd/system/${unit}.service.\n`);
        await io.fs.mkdir(wants(unit).slice(0, wants(unit).lastIndexOf('/')), { recursive: true });
        await io.fs.writeFile(wants(unit), `/usr/lib/systemd/system/${unit}.service`);
        if (args.includes('--now')) stopped.delete(unit);
      }
      return 0;
    case 'disable':
    case 'mask':
      for (const unit of units) {
        if (await io.fs.exists(wants(unit))) {
          io.err(`Removed "${wants(unit)}".\n`);
          await io.fs.rm(wants(unit), { force: true });
        }
        if (args.includes('--now')) stopped.add(unit);
      }
      return 0;
    case 'is-active':
      for (const unit of units) io.out(stopped.has(unit) ? 'inactive\n' : 'active\n');
      return units.some((u) => stopped.has(u)) ? 3 : 0;
    case 'is-enabled':
      io.out('enabled\n');
      return 0;
    case 'status':
      for (const unit of units) {
        const active = !stopped.has(unit);
        io.out(`● ${unit}.service\n     Loaded: loaded (/usr/lib/systemd/system/${unit}.service; enabled; preset: enabled)\n     Active: ${active ? 'active (running)' : 'inactive (dead)'}\n`);
      }
      return units.some((u) => stopped.has(u)) ? 3 : 0;
    default:
      io.err(`Unknown command verb ${sub}.\n`);
      return 1;
  }
};

const service: CommandImpl = (args, io, sh) => {
  const [unit, action = 'status'] = args;
  return systemctl([action, unit ?? ''], io, sh);
};

const cloudInit: CommandImpl = async (args, io) => {
  const [sub] = args;
  if (sub === 'clean') {
    if (await io.fs.exists('/var/lib/cloud')) {
      for (const entry of await io.fs.readdir('/var/lib/cloud')) await io.fs.rm(`/var/lib/cloud/${entry}`, { recursive: true, force: true });
    }
    if (args.includes('--logs') || args.includes('-l')) {
      for (const log of ['/var/log/cloud-init.log', '/var/log/cloud-init-output.log']) await io.fs.rm(log, { force: true });
    }
    return 0;
  }
  if (sub === 'status') {
    io.out('status: done\n');
    return 0;
  }
  return 0;
};

/** journald: `--rotate` and `--vacuum-*` empty the journal directory (what cleanup steps use it for). */
const journalctl: CommandImpl = async (args, io) => {
  if (args.some((a) => a.startsWith('--vacuum-'))) {
    for (const directory of ['/var/log/journal', '/run/log/journal']) {
      if (!(await io.fs.exists(directory))) continue;
      for (const entry of await io.fs.readdir(directory)) await io.fs.rm(`${directory}/${entry}`, { recursive: true, force: true });
    }
    io.err('Vacuuming done, freed 0B of archived journals from /var/log/journal.\n');
  }
  return 0;
};

const adapt =
  (command: CommandImpl): SimulatedCommand =>
  (call, machine) =>
    command(call.args, call, machine);

/** The package managers of the machine's image family (the other family's are not there: bash answers 127). */
export function packageCommands(machine: Machine): Record<string, SimulatedCommand> {
  const common = { systemctl, service, journalctl, 'cloud-init': cloudInit };
  if (machine.isAmazonLinux) return Object.fromEntries(Object.entries({ ...common, dnf, yum: dnf, rpm }).map(([name, command]) => [name, adapt(command)]));
  if (machine.isUbuntu) {
    const ubuntu = { ...common, 'apt-get': aptGet('apt-get'), apt: aptGet('apt'), 'unattended-upgrade': unattendedUpgrade, 'unattended-upgrades': unattendedUpgrade, dpkg, 'dpkg-query': dpkgQuery };
    return Object.fromEntries(Object.entries(ubuntu).map(([name, command]) => [name, adapt(command)]));
  }
  return {};
}
