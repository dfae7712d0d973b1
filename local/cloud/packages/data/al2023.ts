/**
 * Amazon Linux 2023 package data: the versions shipped in an older AL2023 AMI and the versions the AL2023
 * repository carries "now", one row per binary package.
 *
 * Sources (public): the package list of the AL2023.3.20240219 container image as inventoried by Amazon
 * Inspector's SBOM generator (aws-actions/vulnerability-scan-github-action-for-amazon-inspector test data),
 * the AL2023 release notes (docs.aws.amazon.com/linux/al2023/release-notes, e.g. 2023.3.20240312,
 * 2023.4.20240319, 2023.7.20250623, 2023.10.20260216/20260302, 2023.11.20260427) for AMI-only packages and later
 * versions, and ALAS2023 advisories (alas.aws.amazon.com) for the advisory ids.
 * Where no later version of a package is in those sources, `current` is the fixed version from the advisory
 * (a real published build), or equal to `outdated` (no update: the package did not change in our data).
 */

/** `native`: the instance architecture (x86_64 / aarch64); `noarch`: architecture independent. */
export type RowArch = 'native' | 'noarch';

export interface PackageRow {
  name: string;
  /** `[epoch:]version-release` in the outdated base image; absent: not installed there. */
  outdated?: string;
  /** `[epoch:]version-release` in the repository now. */
  current: string;
  arch: RowArch;
  /** Security advisories (ALAS ids, or CVE ids where the advisory id is not in our sources) the update carries. */
  security?: string[];
  /** Packages `dnf install` pulls in with this one. */
  requires?: string[];
}

const row = (name: string, outdated: string | undefined, current: string, arch: RowArch = 'native', security?: string[], requires?: string[]): PackageRow => ({
  name,
  outdated,
  current,
  arch,
  security,
  requires,
});

/** Several binary packages from one source package that move together. */
const group = (names: string[], outdated: string | undefined, current: string, arch: RowArch = 'native', security?: string[]): PackageRow[] =>
  names.map((name) => row(name, outdated, current, arch, security));

export const AL2023_OUTDATED_RELEASE = '2023.3.20240312';
export const AL2023_CURRENT_RELEASE = '2023.11.20260427';
/** An even older AMI (first AL2023 release line) for the "older AL2023 image" of the scenario. */
export const AL2023_2023_RELEASE = '2023.0.20230419';

export const AL2023_ROWS: PackageRow[] = [
  row('system-release', `${AL2023_OUTDATED_RELEASE}-0.amzn2023`, `${AL2023_CURRENT_RELEASE}-1.amzn2023`, 'noarch'),
  row('amazon-linux-repo-s3', `${AL2023_OUTDATED_RELEASE}-0.amzn2023`, `${AL2023_CURRENT_RELEASE}-1.amzn2023`, 'noarch'),
  row('kernel-livepatch-repo-s3', `${AL2023_OUTDATED_RELEASE}-0.amzn2023`, `${AL2023_CURRENT_RELEASE}-1.amzn2023`, 'noarch'),
  row('tzdata', '2024a-1.amzn2023.0.1', '2024a-1.amzn2023.0.1', 'noarch'),
  ...group(['ncurses-base'], '6.2-4.20200222.amzn2023.0.5', '6.2-4.20200222.amzn2023.0.6', 'noarch', ['CVE-2023-45918']),
  ...group(['ncurses', 'ncurses-libs'], '6.2-4.20200222.amzn2023.0.5', '6.2-4.20200222.amzn2023.0.6', 'native', ['CVE-2023-45918']),
  row('setup', '2.13.7-3.amzn2023.0.2', '2.13.7-3.amzn2023.0.2', 'noarch'),
  row('basesystem', '11-11.amzn2023.0.2', '11-11.amzn2023.0.2', 'noarch'),
  row('filesystem', '3.14-5.amzn2023.0.3', '3.14-5.amzn2023.0.3'),
  row('bash', '5.2.15-1.amzn2023.0.2', '5.2.15-1.amzn2023.0.2'),
  ...group(['glibc', 'glibc-common', 'glibc-minimal-langpack'], '2.34-52.amzn2023.0.7', '2.34-231.amzn2023.0.4', 'native', ['ALAS2023-2024-589']),
  ...group(['xz', 'xz-libs'], '5.2.5-9.amzn2023.0.2', '5.2.5-9.amzn2023.0.2'),
  ...group(['zstd', 'libzstd'], '1.5.5-1.amzn2023.0.1', '1.5.5-1.amzn2023.0.1'),
  row('libcap', '2.48-2.amzn2023.0.3', '2.73-1.amzn2023.0.7'),
  row('libxml2', '2.10.4-1.amzn2023.0.6', '2.10.4-1.amzn2023.0.18', 'native', ['ALAS2023-2025-1019', 'ALAS2023-2025-1103']),
  ...group(['lua', 'lua-libs'], '5.4.4-3.amzn2023.0.2', '5.4.4-3.amzn2023.0.2'),
  ...group(['elfutils-libelf', 'elfutils-libs'], '0.188-3.amzn2023.0.2', '0.188-3.amzn2023.0.2'),
  row('elfutils-default-yama-scope', '0.188-3.amzn2023.0.2', '0.188-3.amzn2023.0.2', 'noarch'),
  row('libffi', '3.4.4-1.amzn2023.0.1', '3.4.4-1.amzn2023.0.1'),
  row('readline', '8.1-2.amzn2023.0.2', '8.1-2.amzn2023.0.2'),
  row('libassuan', '2.5.5-1.amzn2023.0.2', '2.5.5-1.amzn2023.0.2'),
  row('expat', '2.5.0-1.amzn2023.0.3', '2.6.3-1.amzn2023.0.4', 'native', ['ALAS2023-2024-576', 'ALAS2023-2024-759', 'ALAS2023-2025-1196']),
  ...group(['attr', 'libattr'], '2.5.1-3.amzn2023.0.2', '2.5.1-3.amzn2023.0.2'),
  row('libcomps', '0.1.18-1.amzn2023.0.2', '0.1.18-1.amzn2023.0.2'),
  row('libgcrypt', '1.10.2-1.amzn2023.0.1', '1.10.2-1.amzn2023.0.1'),
  row('libcap-ng', '0.8.2-4.amzn2023.0.2', '0.8.2-4.amzn2023.0.2'),
  row('libverto', '0.3.2-1.amzn2023.0.2', '0.3.2-1.amzn2023.0.2'),
  row('libsepol', '3.4-3.amzn2023.0.3', '3.4-3.amzn2023.0.3'),
  row('npth', '1.6-6.amzn2023.0.2', '1.6-6.amzn2023.0.2'),
  row('gpgme', '1.15.1-6.amzn2023.0.3', '1.15.1-6.amzn2023.0.3'),
  ...group(['alternatives', 'chkconfig'], '1.15-2.amzn2023.0.2', '1.15-2.amzn2023.0.2'),
  ...group(['p11-kit', 'p11-kit-trust'], '0.24.1-2.amzn2023.0.3', '0.24.1-2.amzn2023.0.3'),
  row('gawk', '5.1.0-3.amzn2023.0.3', '5.1.0-3.amzn2023.0.3'),
  row('json-c', '0.14-8.amzn2023.0.2', '0.14-8.amzn2023.0.2'),
  row('libyaml', '0.2.5-5.amzn2023.0.2', '0.2.5-5.amzn2023.0.2'),
  row('libidn2', '2.3.2-1.amzn2023.0.5', '2.3.2-1.amzn2023.0.5'),
  row('libreport-filesystem', '2.15.2-2.amzn2023.0.2', '2.15.2-2.amzn2023.0.2', 'noarch'),
  row('pcre2', '10.40-1.amzn2023.0.3', '10.40-1.amzn2023.0.3'),
  row('pcre2-syntax', '10.40-1.amzn2023.0.3', '10.40-1.amzn2023.0.3', 'noarch'),
  row('libselinux', '3.4-5.amzn2023.0.2', '3.4-5.amzn2023.0.2'),
  row('sed', '4.8-7.amzn2023.0.2', '4.8-7.amzn2023.0.2'),
  ...group(['util-linux', 'util-linux-core', 'libmount', 'libuuid', 'libsmartcols', 'libblkid'], '2.37.4-1.amzn2023.0.3', '2.37.4-1.amzn2023.0.3'),
  row('ca-certificates', '2023.2.64-1.0.amzn2023.0.1', '2023.2.64-1.0.amzn2023.0.1', 'noarch'),
  row('glib2', '2.74.7-689.amzn2023.0.2', '2.82.2-769.amzn2023', 'native', ['ALAS2023-2025-1069', 'ALAS2023-2025-1349']),
  ...group(['curl-minimal', 'libcurl-minimal'], '8.5.0-1.amzn2023.0.1', '8.17.0-1.amzn2023.0.1', 'native', ['ALAS2023-2024-558', 'CVE-2023-46218', 'CVE-2024-0853', 'CVE-2024-2004', 'CVE-2024-2398']),
  row('librepo', '1.14.2-1.amzn2023.0.4', '1.14.5-2.amzn2023.0.1'),
  ...group(['rpm', 'rpm-libs', 'rpm-sign-libs', 'rpm-build-libs', 'python3-rpm'], '4.16.1.3-12.amzn2023.0.6', '4.16.1.3-29.amzn2023.0.6', 'native', ['CVE-2021-35937', 'CVE-2021-35938', 'CVE-2021-35939']),
  row('libsolv', '0.7.22-1.amzn2023.0.2', '0.7.22-1.amzn2023.0.3'),
  ...group(['libdnf', 'python3-libdnf', 'python3-hawkey'], '0.67.0-1.amzn2023.0.5', '0.69.0-8.amzn2023.0.5'),
  ...group(['python3-setuptools-wheel', 'python3-setuptools'], '59.6.0-2.amzn2023.0.4', '59.6.0-2.amzn2023.0.6', 'noarch', ['ALAS2023-2024-676', 'ALAS2023-2025-1005']),
  ...group(['python3', 'python3-libs'], '3.9.16-1.amzn2023.0.6', '3.9.25-1.amzn2023.0.5', 'native', ['ALAS2023-2024-790', 'ALAS2023-2025-1046', 'ALAS2023-2025-1146', 'CVE-2023-6597', 'CVE-2024-0450']),
  ...group(['dnf', 'yum', 'dnf-data', 'python3-dnf'], '4.12.0-2.amzn2023.0.4', '4.14.0-1.amzn2023.0.4', 'noarch'),
  ...group(['libgcc', 'libstdc++', 'libgomp'], '11.4.1-2.amzn2023.0.2', '11.5.0-5.amzn2023.0.5'),
  row('crypto-policies', '20220428-1.gitdfb10ea.amzn2023.0.2', '20220428-1.gitdfb10ea.amzn2023.0.2', 'noarch'),
  row('zlib', '1.2.11-33.amzn2023.0.5', '1.2.11-33.amzn2023.0.5'),
  ...group(['bzip2', 'bzip2-libs'], '1.0.8-6.amzn2023.0.2', '1.0.8-6.amzn2023.0.2'),
  row('sqlite-libs', '3.40.0-1.amzn2023.0.4', '3.40.0-1.amzn2023.0.5', 'native', ['ALAS2023-2025-971']),
  row('popt', '1.18-6.amzn2023.0.2', '1.18-6.amzn2023.0.2'),
  row('libgpg-error', '1.42-1.amzn2023.0.2', '1.42-1.amzn2023.0.2'),
  ...group(['file', 'file-libs'], '5.39-7.amzn2023.0.4', '5.39-7.amzn2023.0.4'),
  row('gmp', '1:6.2.1-2.amzn2023.0.2', '1:6.2.1-2.amzn2023.0.2'),
  ...group(['acl', 'libacl'], '2.3.1-2.amzn2023.0.2', '2.3.1-2.amzn2023.0.2'),
  row('mpfr', '4.1.0-7.amzn2023.0.2', '4.1.0-7.amzn2023.0.2'),
  ...group(['audit', 'audit-libs'], '3.0.6-1.amzn2023.0.2', '3.0.6-1.amzn2023.0.2'),
  row('libnghttp2', '1.57.0-1.amzn2023.0.1', '1.59.0-3.amzn2023.0.1', 'native', ['ALAS2023-2024-592']),
  ...group(['e2fsprogs', 'libcom_err'], '1.46.5-2.amzn2023.0.2', '1.46.5-2.amzn2023.0.2'),
  row('gnupg2-minimal', '2.3.7-1.amzn2023.0.4', '2.3.7-1.amzn2023.0.8'),
  row('libxcrypt', '4.4.33-7.amzn2023', '4.4.33-7.amzn2023'),
  row('libtasn1', '4.19.0-1.amzn2023.0.4', '4.19.0-1.amzn2023.0.4'),
  row('libsigsegv', '2.13-2.amzn2023.0.2', '2.13-2.amzn2023.0.2'),
  row('lz4-libs', '1.9.4-1.amzn2023.0.2', '1.9.4-1.amzn2023.0.2'),
  row('gdbm-libs', '1:1.19-2.amzn2023.0.2', '1:1.19-2.amzn2023.0.2'),
  row('libunistring', '0.9.10-10.amzn2023.0.2', '0.9.10-10.amzn2023.0.2'),
  row('keyutils-libs', '1.6.3-1.amzn2023.0.1', '1.6.3-1.amzn2023.0.1'),
  row('coreutils', '8.32-30.amzn2023.0.3', '8.32-30.amzn2023.0.5'),
  row('grep', '3.8-1.amzn2023.0.4', '3.8-1.amzn2023.0.4'),
  ...group(['openssl', 'openssl-libs'], '1:3.0.8-1.amzn2023.0.11', '1:3.2.2-1.amzn2023.0.5'),
  row('krb5-libs', '1.21-3.amzn2023.0.3', '1.21-3.amzn2023.0.4', 'native', ['CVE-2024-26458', 'CVE-2024-26461', 'CVE-2024-26462']),
  // AMI (not container) packages.
  row('kernel', '6.1.79-99.164.amzn2023', '1:6.1.163-186.299.amzn2023'),
  ...group(['openssh', 'openssh-server', 'openssh-clients'], '8.7p1-8.amzn2023.0.10', '8.7p1-8.amzn2023.0.17', 'native', ['ALAS2023-2023-273']),
  row('amazon-ssm-agent', '3.2.2222.0-1.amzn2023', '3.2.2303.0-1.amzn2023'),
  row('ec2-utils', '2.1.0-1.amzn2023.0.1', '2.2.0-1.amzn2023.0.1', 'noarch'),
  // In the repository only: what components commonly install.
  row('nginx', undefined, '1:1.24.0-1.amzn2023.0.1', 'native', undefined, ['generic-logos-httpd']),
  row('generic-logos-httpd', undefined, '18.0.0-12.amzn2023.0.3', 'noarch'),
  row('amazon-efs-utils', undefined, '1.35.2-1.amzn2023', 'noarch', undefined, ['stunnel']),
  row('stunnel', undefined, '5.58-1.amzn2023.0.2'),
  row('aide', undefined, '0.18.6-1.amzn2023.0.1'),
  row('git', undefined, '2.50.1-1.amzn2023.0.1'),
  row('gcc', undefined, '11.5.0-5.amzn2023.0.5'),
  row('make', undefined, '1:4.3-5.amzn2023.0.2'),
  row('cmake', undefined, '3.22.2-1.amzn2023.0.6'),
  row('ecs-init', undefined, '1.82.0-1.amzn2023'),
  row('httpd', undefined, '2.4.62-1.amzn2023', 'native', undefined, ['httpd-core', 'httpd-filesystem', 'generic-logos-httpd']),
  row('httpd-core', undefined, '2.4.62-1.amzn2023'),
  row('httpd-filesystem', undefined, '2.4.62-1.amzn2023', 'noarch'),
  row('amazon-cloudwatch-agent', undefined, '1.300069.1-1.amzn2023'),
  row('docker', undefined, '25.0.16-1.amzn2023.0.4'),
];

/** The first-release-line AMI differs from the 2024 one in these packages (AL2023 2023.0.20230419 release notes). */
export const AL2023_2023_OVERRIDES: Record<string, string> = {
  'system-release': `${AL2023_2023_RELEASE}-0.amzn2023`,
  'amazon-linux-repo-s3': `${AL2023_2023_RELEASE}-0.amzn2023`,
  'kernel-livepatch-repo-s3': `${AL2023_2023_RELEASE}-0.amzn2023`,
  kernel: '6.1.23-36.46.amzn2023',
  openssh: '8.7p1-8.amzn2023.0.6',
  'openssh-server': '8.7p1-8.amzn2023.0.6',
  'openssh-clients': '8.7p1-8.amzn2023.0.6',
  tzdata: '2023c-1.amzn2023.0.1',
};
