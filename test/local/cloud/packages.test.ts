import { baseImageSoftware, bootSoftware, isBaseImageProfile, UnknownBaseImageProfile } from '../../../local/cloud/packages/base-images';
import { cloneSoftware, PackageNotFound, planInstall, planRemove, planUpgrade, rpmNevra } from '../../../local/cloud/packages/inventory';
import { repositoryForPlatform } from '../../../local/cloud/packages/repository';
import { compareVersionStrings, dpkgVerrevcmp, formatEvr, parseEvr, rpmvercmp } from '../../../local/cloud/packages/version';

describe('rpmvercmp', () => {
  // Cases from rpm's own test suite (tests/rpmvercmp.at).
  it.each([
    ['1.0', '1.0', 0],
    ['1.0', '2.0', -1],
    ['2.0', '1.0', 1],
    ['2.0.1', '2.0.1', 0],
    ['2.0', '2.0.1', -1],
    ['2.0.1a', '2.0.1', 1],
    ['5.5p1', '5.5p2', -1],
    ['5.5p10', '5.5p1', 1],
    ['10xyz', '10.1xyz', -1],
    ['xyz10', 'xyz10.1', -1],
    ['xyz.4', '8', -1],
    ['2a', '2.0', -1],
    ['1.0a', '1.0', 1],
    ['1.0aa', '1.0a', 1],
    ['6.0.rc1', '6.0', 1],
    ['1b.fc17', '1.fc17', -1],
    ['1.0~rc1', '1.0', -1],
    ['1.0~rc1', '1.0~rc2', -1],
    ['1.0~rc1~git123', '1.0~rc1', -1],
    ['1.0^', '1.0', 1],
    ['1.0^git1', '1.0', 1],
    ['1.0^git1', '1.01', -1],
    ['1.0^git1~pre', '1.0^git1', -1],
    ['amzn2023.0.7', 'amzn2023.0.10', -1],
    ['000123', '123', 0],
  ])('rpmvercmp(%s, %s) = %d', (a, b, expected) => {
    // Act / Assess
    expect(rpmvercmp(a, b)).toBe(expected);
  });
});

describe('dpkg verrevcmp', () => {
  it.each([
    ['1.0', '1.0', 0],
    ['1.0~rc1', '1.0', -1],
    ['1.0~', '1.0', -1],
    ['1.0a', '1.0', 1],
    ['1.0+', '1.0a', 1],
    ['3ubuntu0.10', '3ubuntu0.9', 1],
    ['8.9p1', '8.9', 1],
    ['0ubuntu3.4', '0ubuntu3.10', -1],
  ])('verrevcmp(%s, %s) = %d', (a, b, expected) => {
    expect(dpkgVerrevcmp(a, b)).toBe(expected);
  });
});

describe('epoch:version-release', () => {
  it('parses and formats rpm and dpkg strings', () => {
    // Act
    const kernel = parseEvr('1:6.1.163-186.299.amzn2023', 'rpm');
    const ssh = parseEvr('1:8.9p1-3ubuntu0.10', 'deb');
    // Assess
    expect(kernel).toEqual({ epoch: 1, version: '6.1.163', release: '186.299.amzn2023' });
    expect(ssh).toEqual({ epoch: 1, version: '8.9p1', release: '3ubuntu0.10' });
    expect(formatEvr(kernel)).toBe('1:6.1.163-186.299.amzn2023');
    expect(formatEvr({ epoch: 0, version: '2.34', release: '52.amzn2023.0.7' })).toBe('2.34-52.amzn2023.0.7');
  });

  it.each([
    ['2.34-52.amzn2023.0.7', '2.34-52.amzn2023.0.10', 'rpm', -1],
    ['6.1.79-99.164.amzn2023', '1:6.1.163-186.299.amzn2023', 'rpm', -1],
    ['1:3.0.8-1.amzn2023.0.11', '3.2.2-1.amzn2023.0.5', 'rpm', 1],
    ['6.2-4.20200222.amzn2023.0.5', '6.2-4.20200222.amzn2023.0.6', 'rpm', -1],
    ['1:8.9p1-3ubuntu0.1', '1:8.9p1-3ubuntu0.10', 'deb', -1],
    ['2.35-0ubuntu3.4', '2.35-0ubuntu3.1', 'deb', 1],
    ['1:1.0', '2.0', 'deb', 1],
  ] as const)('%s vs %s (%s) = %d', (a, b, format, expected) => {
    expect(compareVersionStrings(a, b, format)).toBe(expected);
  });

  it('rejects a non-numeric epoch', () => {
    expect(() => parseEvr('x:1.0-1', 'rpm')).toThrow('not a valid rpm version string');
  });
});

describe('base images', () => {
  it('gives the outdated AL2023 image real, older package versions than the repository', () => {
    // Prepare
    const software = baseImageSoftware('al2023-2024-outdated');
    const repo = repositoryForPlatform('AMAZON_LINUX_2023');
    // Act
    const upgrades = planUpgrade(software, repo!);
    // Assess
    expect(software.os).toEqual({ platform: 'AMAZON_LINUX_2023', name: 'Amazon Linux 2023.3.20240312', format: 'rpm' });
    expect(software.ssmAgent).toBe(true);
    expect(rpmNevra(software.packages.glibc)).toBe('glibc-2.34-52.amzn2023.0.7.x86_64');
    expect(rpmNevra(software.packages['ca-certificates'])).toBe('ca-certificates-2023.2.64-1.0.amzn2023.0.1.noarch');
    expect(software.packages['openssl-libs'].epoch).toBe(1);
    expect(upgrades.find((u) => u.name === 'expat')).toEqual({
      name: 'expat',
      arch: 'x86_64',
      from: '2.5.0-1.amzn2023.0.3',
      to: '2.6.3-1.amzn2023.0.4',
      security: ['ALAS2023-2024-576', 'ALAS2023-2024-759', 'ALAS2023-2025-1196'],
    });
    expect(upgrades.find((u) => u.name === 'kernel')?.to).toBe('1:6.1.163-186.299.amzn2023');
    expect(software.packages.nginx).toBeUndefined();
  });

  it('uses aarch64 for arm64 images and has no upgrades for the current image', () => {
    // Act
    const arm = baseImageSoftware('al2023-current', 'arm64');
    // Assess
    expect(arm.packages.bash.arch).toBe('aarch64');
    expect(planUpgrade(arm, repositoryForPlatform('AMAZON_LINUX_2023')!)).toEqual([]);
  });

  it('leaves the SSM agent out of the minimal image', () => {
    // Act
    const minimal = baseImageSoftware('al2023-no-ssm-agent');
    // Assess
    expect(minimal.ssmAgent).toBe(false);
    expect(minimal.packages['amazon-ssm-agent']).toBeUndefined();
    expect(minimal.packages.glibc).toBeDefined();
  });

  it('has an older AL2023 image with the first release line OpenSSH', () => {
    const older = baseImageSoftware('al2023-2023-outdated');
    expect(older.packages['openssh-server'].release).toBe('8.amzn2023.0.6');
    expect(older.os.name).toBe('Amazon Linux 2023.0.20230419');
  });

  it('models Ubuntu 22.04 with dpkg names and Windows without an inventory', () => {
    // Act
    const ubuntu = baseImageSoftware('ubuntu-2204-outdated');
    const windows = baseImageSoftware('windows-2022');
    // Assess
    expect(ubuntu.os.format).toBe('deb');
    expect(ubuntu.packages['openssh-server']).toEqual({ name: 'openssh-server', epoch: 1, version: '8.9p1', release: '3ubuntu0.1', arch: 'amd64' });
    expect(ubuntu.packages.tzdata.arch).toBe('all');
    expect(windows.os.platform).toBe('WINDOWS_SERVER_2022');
    expect(windows.packages).toEqual({});
    expect(repositoryForPlatform('WINDOWS_SERVER_2022')).toBeUndefined();
  });

  it('returns independent copies and rejects unknown profiles', () => {
    // Prepare
    const a = baseImageSoftware('al2023-outdated');
    const b = cloneSoftware(a);
    // Act
    b.packages.glibc.release = 'changed';
    b.files['/etc/motd'] = 'changed';
    // Assess
    expect(a.packages.glibc.release).toBe('52.amzn2023.0.7');
    expect(a.files['/etc/motd']).toBe('');
    expect(baseImageSoftware('al2023-outdated').packages.glibc.release).toBe('52.amzn2023.0.7');
    expect(isBaseImageProfile('al2023-minimal')).toBe(true);
    expect(() => baseImageSoftware('centos-7')).toThrow(UnknownBaseImageProfile);
  });

  it('adds host keys, authorized_keys and cloud-init logs on first boot', () => {
    // Prepare
    const software = baseImageSoftware('al2023-2024-outdated');
    // Act
    bootSoftware(software, { instanceId: 'i-0123456789abcdef0', keyName: 'builder' });
    // Assess
    expect(software.files['/etc/ssh/ssh_host_ed25519_key']).toContain('i-0123456789abcdef0');
    expect(software.files['/home/ec2-user/.ssh/authorized_keys']).toContain('builder');
    expect(software.files['/var/log/cloud-init.log']).toBeDefined();
  });
});

describe('install / remove / security upgrades', () => {
  it('installs with dependencies at the machine architecture and reports unknown names', () => {
    // Prepare
    const software = baseImageSoftware('al2023-2024-outdated', 'arm64');
    const repo = repositoryForPlatform('AMAZON_LINUX_2023')!;
    // Act
    const changes = planInstall(software, repo, ['nginx']);
    // Assess
    expect(changes.map((c) => [c.name, c.arch, c.to])).toEqual([
      ['nginx', 'aarch64', '1:1.24.0-1.amzn2023.0.1'],
      ['generic-logos-httpd', 'noarch', '18.0.0-12.amzn2023.0.3'],
    ]);
    expect(() => planInstall(software, repo, ['no-such-package'])).toThrow(PackageNotFound);
  });

  it('limits --security to updates that carry an advisory', () => {
    // Prepare
    const software = baseImageSoftware('al2023-2024-outdated');
    const repo = repositoryForPlatform('AMAZON_LINUX_2023')!;
    // Act
    const all = planUpgrade(software, repo).map((c) => c.name);
    const security = planUpgrade(software, repo, { securityOnly: true }).map((c) => c.name);
    // Assess
    expect(all).toContain('dnf');
    expect(security).not.toContain('dnf');
    expect(security).toEqual(expect.arrayContaining(['expat', 'glibc', 'python3', 'curl-minimal']));
    expect(planRemove(software, ['expat', 'not-installed']).map((c) => c.name)).toEqual(['expat']);
  });
});
