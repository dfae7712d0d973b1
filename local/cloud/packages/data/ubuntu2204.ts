/**
 * Ubuntu 22.04 (jammy) package data for the Canonical AMI (owner 099720109477): versions in an early-2023
 * image and in jammy-updates/jammy-security now. Versions and USN ids from Ubuntu Security Notices
 * (ubuntu.com/security/notices). Ubuntu AMIs install the SSM agent as a snap, so it is not a deb here.
 */
import type { PackageRow } from './al2023';

const row = (name: string, outdated: string | undefined, current: string, arch: 'native' | 'noarch' = 'native', security?: string[]): PackageRow => ({
  name,
  outdated,
  current,
  arch,
  security,
});

export const UBUNTU_2204_OUTDATED_SERIAL = '20230115';
export const UBUNTU_2204_CURRENT_SERIAL = '20251015';

export const UBUNTU_2204_ROWS: PackageRow[] = [
  row('base-files', '12ubuntu4.2', '12ubuntu4.7'),
  row('bash', '5.1-6ubuntu1', '5.1-6ubuntu1.1'),
  row('libc6', '2.35-0ubuntu3.1', '2.35-0ubuntu3.10', 'native', ['USN-6409-1']),
  row('libc-bin', '2.35-0ubuntu3.1', '2.35-0ubuntu3.10', 'native', ['USN-6409-1']),
  row('openssh-server', '1:8.9p1-3ubuntu0.1', '1:8.9p1-3ubuntu0.13', 'native', ['USN-6859-1']),
  row('openssh-client', '1:8.9p1-3ubuntu0.1', '1:8.9p1-3ubuntu0.13', 'native', ['USN-6859-1']),
  row('openssh-sftp-server', '1:8.9p1-3ubuntu0.1', '1:8.9p1-3ubuntu0.13', 'native', ['USN-6859-1']),
  row('curl', '7.81.0-1ubuntu1.7', '7.81.0-1ubuntu1.20', 'native', ['USN-6429-1']),
  row('libcurl4', '7.81.0-1ubuntu1.7', '7.81.0-1ubuntu1.20', 'native', ['USN-6429-1']),
  row('sudo', '1.9.9-1ubuntu2.1', '1.9.9-1ubuntu2.5', 'native', ['USN-5811-1']),
  row('openssl', '3.0.2-0ubuntu1.7', '3.0.2-0ubuntu1.19'),
  row('libssl3', '3.0.2-0ubuntu1.7', '3.0.2-0ubuntu1.19'),
  row('tzdata', '2022g-0ubuntu0.22.04.1', '2025b-0ubuntu0.22.04.1', 'noarch'),
  row('nginx', undefined, '1.18.0-6ubuntu14.6'),
];
