/**
 * Software of the base images the simulated account offers: real package names and versions (see `data/`),
 * outdated enough that real advisories later fixed them, plus the files the product's components touch.
 *
 * Profiles:
 * - `al2023-2024-outdated` (alias `al2023-outdated`): Amazon Linux 2023.3.20240312, x86_64 or arm64.
 * - `al2023-2023-outdated`: an older AL2023 AMI (2023.0.20230419 kernel and OpenSSH; other packages as 2024).
 * - `al2023-current`: every package at the repository's version (what `dnf upgrade` leads to).
 * - `al2023-minimal` (alias `al2023-no-ssm-agent`): the AL2023 *minimal* AMI, which ships without the SSM agent.
 * - `ubuntu-2204-outdated`, `ubuntu-2204-current`: Canonical's Ubuntu 22.04 AMI (SSM agent as a snap).
 * - `windows-2022`: Windows Server 2022 (SSM agent installed; no package inventory; not scanned by us).
 */
import { AL2023_2023_OVERRIDES, AL2023_2023_RELEASE, AL2023_CURRENT_RELEASE, AL2023_OUTDATED_RELEASE, AL2023_ROWS, type PackageRow } from './data/al2023';
import { UBUNTU_2204_CURRENT_SERIAL, UBUNTU_2204_OUTDATED_SERIAL, UBUNTU_2204_ROWS } from './data/ubuntu2204';
import { makePackage } from './inventory';
import type { InstalledPackage, PackageFormat, SoftwareState } from './types';

export type ImageArchitecture = 'x86_64' | 'arm64';

export const BASE_IMAGE_PROFILES = [
  'al2023-2024-outdated',
  'al2023-2023-outdated',
  'al2023-current',
  'al2023-minimal',
  'ubuntu-2204-outdated',
  'ubuntu-2204-current',
  'windows-2022',
] as const;

const ALIASES: Record<string, (typeof BASE_IMAGE_PROFILES)[number]> = {
  'al2023-outdated': 'al2023-2024-outdated',
  'al2023-no-ssm-agent': 'al2023-minimal',
};

export class UnknownBaseImageProfile extends Error {
  constructor(profile: string) {
    super(`unknown base image profile "${profile}"; known: ${[...BASE_IMAGE_PROFILES, ...Object.keys(ALIASES)].join(', ')}`);
    this.name = 'UnknownBaseImageProfile';
  }
}

function packagesFrom(
  rows: PackageRow[],
  pick: (r: PackageRow) => string | undefined,
  format: PackageFormat,
  machineArch: string,
  skip: Set<string> = new Set(),
): Record<string, InstalledPackage> {
  const noarch = format === 'deb' ? 'all' : 'noarch';
  const packages: Record<string, InstalledPackage> = {};
  for (const r of rows) {
    const evr = pick(r);
    if (evr === undefined || skip.has(r.name)) continue;
    packages[r.name] = makePackage(r.name, evr, r.arch === 'noarch' ? noarch : machineArch, format);
  }
  return packages;
}

// Amazon Linux 2023's shipped sshd_config (comments shortened), including the EC2 Instance Connect lines.
const AL2023_SSHD_CONFIG = `#	$OpenBSD: sshd_config,v 1.104 2021/07/02 05:11:21 dtucker Exp $

# To modify the system-wide sshd configuration, create a  *.conf  file under
#  /etc/ssh/sshd_config.d/  which will be automatically included below
Include /etc/ssh/sshd_config.d/*.conf

#Port 22
#AddressFamily any
#ListenAddress 0.0.0.0

#LoginGraceTime 2m
#PermitRootLogin prohibit-password
#StrictModes yes
#MaxAuthTries 6
#MaxSessions 10

#PubkeyAuthentication yes
AuthorizedKeysFile	.ssh/authorized_keys

# To disable tunneled clear text passwords, change to no here!
#PasswordAuthentication yes
#PermitEmptyPasswords no

KbdInteractiveAuthentication no
UsePAM yes

#AllowAgentForwarding yes
#AllowTcpForwarding yes
X11Forwarding yes
PrintMotd no
#ClientAliveInterval 0
#ClientAliveCountMax 3

# override default of no subsystems
Subsystem	sftp	/usr/libexec/openssh/sftp-server

AuthorizedKeysCommand /opt/aws/bin/eic_run_authorized_keys %u %f
AuthorizedKeysCommandUser ec2-instance-connect
`;

const UBUNTU_SSHD_CONFIG = `
# This is the sshd server system-wide configuration file.  See
# sshd_config(5) for more information.

Include /etc/ssh/sshd_config.d/*.conf

#Port 22
#AddressFamily any

#LoginGraceTime 2m
#PermitRootLogin prohibit-password
#StrictModes yes
#MaxAuthTries 6
#MaxSessions 10

#PubkeyAuthentication yes

# To disable tunneled clear text passwords, change to no here!
#PasswordAuthentication yes
#PermitEmptyPasswords no

KbdInteractiveAuthentication no
UsePAM yes

X11Forwarding yes
PrintMotd no

# Allow client to pass locale environment variables
AcceptEnv LANG LC_*

# override default of no subsystems
Subsystem	sftp	/usr/lib/openssh/sftp-server
`;

function al2023Files(release: string): Record<string, string> {
  return {
    '/etc/os-release': [
      'NAME="Amazon Linux"',
      'VERSION="2023"',
      'ID="amzn"',
      'ID_LIKE="fedora"',
      'VERSION_ID="2023"',
      'PLATFORM_ID="platform:al2023"',
      `PRETTY_NAME="Amazon Linux 2023.${release.split('.').slice(1).join('.')}"`,
      'ANSI_COLOR="0;33"',
      'CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2023"',
      'HOME_URL="https://aws.amazon.com/linux/amazon-linux-2023/"',
      'SUPPORT_END="2029-06-30"',
      '',
    ].join('\n'),
    '/etc/system-release': `Amazon Linux release ${release} (Amazon Linux)\n`,
    '/etc/ssh/sshd_config': AL2023_SSHD_CONFIG,
    '/etc/ssh/sshd_config.d/50-redhat.conf': 'SyslogFacility AUTHPRIV\nChallengeResponseAuthentication no\nGSSAPIAuthentication yes\nGSSAPICleanupCredentials no\nUsePAM yes\nX11Forwarding yes\nPrintMotd no\n',
    '/etc/motd': '',
    '/etc/dnf/dnf.conf': '[main]\ngpgcheck=True\ninstallonly_limit=3\nclean_requirements_on_remove=True\nbest=False\nskip_if_unavailable=True\n',
  };
}

function ubuntuFiles(): Record<string, string> {
  return {
    '/etc/os-release': [
      'PRETTY_NAME="Ubuntu 22.04.1 LTS"',
      'NAME="Ubuntu"',
      'VERSION_ID="22.04"',
      'VERSION="22.04.1 LTS (Jammy Jellyfish)"',
      'VERSION_CODENAME=jammy',
      'ID=ubuntu',
      'ID_LIKE=debian',
      'UBUNTU_CODENAME=jammy',
      '',
    ].join('\n'),
    '/etc/ssh/sshd_config': UBUNTU_SSHD_CONFIG,
    '/etc/ssh/sshd_config.d/60-cloudimg-settings.conf': 'PasswordAuthentication no\n',
    '/etc/apt/sources.list': 'deb http://eu-west-1.ec2.archive.ubuntu.com/ubuntu/ jammy main restricted\ndeb http://eu-west-1.ec2.archive.ubuntu.com/ubuntu/ jammy-updates main restricted\ndeb http://security.ubuntu.com/ubuntu jammy-security main restricted\n',
    '/etc/motd': '',
  };
}

function canonicalProfile(profile: string): (typeof BASE_IMAGE_PROFILES)[number] {
  const resolved = ALIASES[profile] ?? profile;
  const known = BASE_IMAGE_PROFILES.find((p) => p === resolved);
  if (!known) throw new UnknownBaseImageProfile(profile);
  return known;
}

/** Whether `profile` names a base image this module knows (aliases included). */
export function isBaseImageProfile(profile: string): boolean {
  return (BASE_IMAGE_PROFILES as readonly string[]).includes(ALIASES[profile] ?? profile);
}

/**
 * The software of a freshly registered base image of `profile` (a new object every call).
 * `architecture` is the EC2 architecture; packages get rpm (`x86_64`/`aarch64`) or dpkg (`amd64`/`arm64`) names.
 */
export function baseImageSoftware(profile: string, architecture: ImageArchitecture = 'x86_64'): SoftwareState {
  const name = canonicalProfile(profile);
  const rpmArch = architecture === 'arm64' ? 'aarch64' : 'x86_64';
  const debArch = architecture === 'arm64' ? 'arm64' : 'amd64';
  switch (name) {
    case 'al2023-2024-outdated':
    case 'al2023-minimal':
      return {
        os: { platform: 'AMAZON_LINUX_2023', name: `Amazon Linux ${AL2023_OUTDATED_RELEASE}`, format: 'rpm' },
        ssmAgent: name !== 'al2023-minimal',
        packages: packagesFrom(AL2023_ROWS, (r) => r.outdated, 'rpm', rpmArch, name === 'al2023-minimal' ? new Set(['amazon-ssm-agent']) : undefined),
        files: al2023Files(AL2023_OUTDATED_RELEASE),
      };
    case 'al2023-2023-outdated':
      return {
        os: { platform: 'AMAZON_LINUX_2023', name: `Amazon Linux ${AL2023_2023_RELEASE}`, format: 'rpm' },
        ssmAgent: true,
        packages: packagesFrom(AL2023_ROWS, (r) => (r.outdated === undefined ? undefined : (AL2023_2023_OVERRIDES[r.name] ?? r.outdated)), 'rpm', rpmArch),
        files: al2023Files(AL2023_2023_RELEASE),
      };
    case 'al2023-current':
      return {
        os: { platform: 'AMAZON_LINUX_2023', name: `Amazon Linux ${AL2023_CURRENT_RELEASE}`, format: 'rpm' },
        ssmAgent: true,
        packages: packagesFrom(AL2023_ROWS, (r) => (r.outdated === undefined ? undefined : r.current), 'rpm', rpmArch),
        files: al2023Files(AL2023_CURRENT_RELEASE),
      };
    case 'ubuntu-2204-outdated':
    case 'ubuntu-2204-current':
      return {
        os: {
          platform: 'UBUNTU_22_04',
          name: `Ubuntu 22.04 LTS (${name === 'ubuntu-2204-current' ? UBUNTU_2204_CURRENT_SERIAL : UBUNTU_2204_OUTDATED_SERIAL})`,
          format: 'deb',
        },
        ssmAgent: true,
        packages: packagesFrom(UBUNTU_2204_ROWS, (r) => (r.outdated === undefined ? undefined : name === 'ubuntu-2204-current' ? r.current : r.outdated), 'deb', debArch),
        files: ubuntuFiles(),
      };
    case 'windows-2022':
      return {
        // Windows has no rpm/dpkg inventory here; `format` is never consulted because there are no packages.
        os: { platform: 'WINDOWS_SERVER_2022', name: 'Microsoft Windows Server 2022 Datacenter', format: 'rpm' },
        ssmAgent: true,
        packages: {},
        files: {},
      };
  }
}

/**
 * What first boot adds to an instance's copy of the image software: SSH host keys, the key pair's public key
 * for the default user, a machine id, cloud-init logs. The cleanup components of a pipeline are expected to remove these
 * again before CreateImage (and Inspector/auditors can see whether they did).
 */
export function bootSoftware(software: SoftwareState, options: { instanceId: string; keyName?: string }): void {
  if (software.os.platform.startsWith('WINDOWS')) return;
  const user = software.os.platform === 'UBUNTU_22_04' ? 'ubuntu' : 'ec2-user';
  for (const type of ['rsa', 'ecdsa', 'ed25519']) {
    const path = `/etc/ssh/ssh_host_${type}_key`;
    software.files[path] ??= `-----BEGIN OPENSSH PRIVATE KEY-----\n(simulated ${type} host key of ${options.instanceId})\n-----END OPENSSH PRIVATE KEY-----\n`;
    software.files[`${path}.pub`] ??= `ssh-${type} AAAA${options.instanceId} root@${options.instanceId}\n`;
  }
  if (options.keyName) {
    software.files[`/home/${user}/.ssh/authorized_keys`] = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 ${options.keyName}\n`;
  }
  // systemd writes a machine id on first boot unless the image carries one; cleanup components empty it again.
  software.files['/etc/machine-id'] ||= `${options.instanceId.replace(/^i-/, '').padEnd(32, '0').slice(0, 32)}\n`;
  software.files['/var/log/cloud-init.log'] = `Cloud-init v. 22.2.2 running 'init' for ${options.instanceId}\n`;
  software.files['/var/log/cloud-init-output.log'] = `Cloud-init v. 22.2.2 finished for ${options.instanceId}\n`;
  software.files['/var/lib/cloud/instance/instance-id'] = `${options.instanceId}\n`;
}
