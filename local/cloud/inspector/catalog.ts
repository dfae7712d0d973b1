/**
 * The bundled vulnerability catalog the simulated Inspector matches inventories against: real CVE records for
 * the packages of the simulated base images, with the fixed versions the distributions shipped.
 *
 * Sources (public), and which record field comes from which:
 * - INSPECTOR_SCAN: Amazon Inspector's own scan of the AL2023 container image (May 2024; aws-actions/vulnerability-
 *   scan-github-action-for-amazon-inspector, entrypoint/tests/test_data/scan_results/amazonlinux:latest.json.scan.md):
 *   severity, CVSS score, EPSS, exploit-available and fixed package per CVE. Eleven CVEs were UNTRIAGED there.
 * - Amazon Linux Security Center advisories (ALAS2023-*: ids, CVE lists, fixed builds), Ubuntu Security Notices
 *   (USN-*: fixed jammy versions and their publication dates), NVD (CVSS 3.x base scores, descriptions, CVE
 *   publication dates).
 *
 * Conventions:
 * - `fixedIn` is the first fixed build (`[epoch:]version-release`); a package is vulnerable when its installed
 *   version sorts before it (rpm or dpkg rules) and, if `vulnerableFrom` is set, not before that.
 * - `severitySource` says where `severity` and `inspectorScore` come from, per record:
 *   INSPECTOR_SCAN — exactly as that scan showed them (UNTRIAGED and no score where the scan had none);
 *   NVD_AFTER_SCAN — the scan listed the CVE as UNTRIAGED with no score; the record carries the CVSS 3.x base score
 *   published later (as NVD shows it, from NVD, the CNA or CISA-ADP), with the severity Inspector derives from it;
 *   NVD — the CVE is not in that scan (published later, or a package the container image lacks): NVD's score.
 *   Scored records follow the score the way Inspector does (9.0+ CRITICAL, 7.0+ HIGH, 4.0+ MEDIUM, below LOW).
 * - `epss` is present only where the source scan carried it (EPSS scores move daily; these are that day's).
 * - `publishedAt` is the CVE's publication date (NVD); `fixReleasedAt` the publication date of the distribution
 *   advisory that shipped the fix, where the catalog knows it (the USNs; ALAS release dates are not in the sources
 *   above). These dates were added on 2026-11-28 from NVD and USN publication dates as known to their author, without
 *   network access to re-check them against those pages: treat them as accurate to a few days, and correct them from
 *   NVD / ubuntu.com/security/notices when a machine can reach them. No test can check them.
 */

export type CatalogSeverity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'UNTRIAGED';

/** Where a record's severity and score come from (see the header). */
export type SeveritySource = 'INSPECTOR_SCAN' | 'NVD_AFTER_SCAN' | 'NVD';
const INSPECTOR_SCAN: SeveritySource = 'INSPECTOR_SCAN';
const NVD_AFTER_SCAN: SeveritySource = 'NVD_AFTER_SCAN';
const NVD: SeveritySource = 'NVD';

export interface CatalogRecord {
  vulnerabilityId: string;
  severitySource: SeveritySource;
  /** CVE publication date (NVD), `YYYY-MM-DD`. */
  publishedAt: string;
  /** Publication date of the distribution advisory that shipped `fixedIn`, when known, `YYYY-MM-DD`. */
  fixReleasedAt?: string;
  /** Inspector platform the record applies to (`SoftwareState.os.platform`). */
  platform: 'AMAZON_LINUX_2023' | 'UBUNTU_22_04';
  /** Binary package names affected. */
  packages: string[];
  fixedIn: string;
  vulnerableFrom?: string;
  severity: CatalogSeverity;
  inspectorScore?: number;
  cvssVector?: string;
  epss?: number;
  exploitAvailable: boolean;
  /** The distribution advisory that shipped the fix, when known. */
  advisory?: string;
  /** Severity the vendor (Amazon Linux / Ubuntu) gave it. */
  vendorSeverity: string;
  description: string;
}

/**
 * The day a fix became available, as the simulation dates it: the advisory's publication where known, otherwise
 * the CVE's publication on NVD. The fallback is an approximation either way: distributions often ship a fix after
 * NVD publishes (the fix then looks older than it is), but NVD can also lag a coordinated disclosure by days
 * (CVE-2023-38545: USN-6429-1 on 2023-10-11, NVD on 2023-10-18), when the fix looks younger than it is.
 */
export function fixAvailableSince(record: CatalogRecord): string {
  return record.fixReleasedAt ?? record.publishedAt;
}

const AL = 'AMAZON_LINUX_2023' as const;
const UBUNTU = 'UBUNTU_22_04' as const;
const CURL = ['curl-minimal', 'libcurl-minimal'];
const RPM = ['rpm', 'rpm-libs', 'rpm-sign-libs', 'rpm-build-libs', 'python3-rpm'];
const PYTHON = ['python3', 'python3-libs'];
const GLIBC = ['glibc', 'glibc-common', 'glibc-minimal-langpack'];

export const CATALOG: readonly CatalogRecord[] = [
  // ---------------------------------------------------------------- expat
  {
    vulnerabilityId: 'CVE-2024-45490',
    severitySource: NVD,
    publishedAt: '2024-08-30',
    platform: AL,
    packages: ['expat'],
    fixedIn: '2.6.3-1.amzn2023.0.1',
    severity: 'CRITICAL',
    inspectorScore: 9.8,
    cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    exploitAvailable: false,
    advisory: 'ALAS2023-2024-759',
    vendorSeverity: 'Important',
    description: 'An issue was discovered in libexpat before 2.6.3. xmlparse.c does not reject a negative length for XML_ParseBuffer.',
  },
  {
    vulnerabilityId: 'CVE-2024-45491',
    severitySource: NVD,
    publishedAt: '2024-08-30',
    platform: AL,
    packages: ['expat'],
    fixedIn: '2.6.3-1.amzn2023.0.1',
    severity: 'CRITICAL',
    inspectorScore: 9.8,
    cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    exploitAvailable: false,
    advisory: 'ALAS2023-2024-759',
    vendorSeverity: 'Important',
    description: 'An issue was discovered in libexpat before 2.6.3. dtdCopy in xmlparse.c can have an integer overflow for nDefaultAtts on 32-bit platforms (where UINT_MAX equals SIZE_MAX).',
  },
  {
    vulnerabilityId: 'CVE-2024-45492',
    severitySource: NVD,
    publishedAt: '2024-08-30',
    platform: AL,
    packages: ['expat'],
    fixedIn: '2.6.3-1.amzn2023.0.1',
    severity: 'CRITICAL',
    inspectorScore: 9.8,
    cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    exploitAvailable: false,
    advisory: 'ALAS2023-2024-759',
    vendorSeverity: 'Important',
    description: 'An issue was discovered in libexpat before 2.6.3. nextScaffoldPart in xmlparse.c can have an integer overflow for m_groupSize on 32-bit platforms (where UINT_MAX equals SIZE_MAX).',
  },
  {
    vulnerabilityId: 'CVE-2024-28757',
    severitySource: NVD_AFTER_SCAN,
    publishedAt: '2024-03-10',
    platform: AL,
    packages: ['expat'],
    fixedIn: '2.5.0-1.amzn2023.0.4',
    severity: 'HIGH',
    inspectorScore: 7.5,
    cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H',
    epss: 0.00044,
    exploitAvailable: true,
    advisory: 'ALAS2023-2024-576',
    vendorSeverity: 'Medium',
    description: 'libexpat through 2.6.1 allows an XML Entity Expansion attack when there is isolated use of external parsers (created via XML_ExternalEntityParserCreate).',
  },
  // ---------------------------------------------------------------- glibc
  {
    vulnerabilityId: 'CVE-2024-2961',
    severitySource: NVD_AFTER_SCAN,
    publishedAt: '2024-04-17',
    platform: AL,
    packages: GLIBC,
    fixedIn: '2.34-52.amzn2023.0.10',
    severity: 'HIGH',
    inspectorScore: 7.3,
    epss: 0.00044,
    exploitAvailable: true,
    advisory: 'ALAS2023-2024-589',
    vendorSeverity: 'Important',
    description:
      'The iconv() function in the GNU C Library versions 2.39 and older may overflow the output buffer passed to it by up to 4 bytes when converting strings to the ISO-2022-CN-EXT character set, which may be used to crash an application or overwrite a neighbouring variable.',
  },
  // ---------------------------------------------------------------- curl
  {
    vulnerabilityId: 'CVE-2023-46218',
    severitySource: INSPECTOR_SCAN,
    publishedAt: '2023-12-07',
    platform: AL,
    packages: CURL,
    fixedIn: '8.5.0-1.amzn2023.0.2',
    severity: 'MEDIUM',
    inspectorScore: 6.5,
    epss: 0.00071,
    exploitAvailable: true,
    vendorSeverity: 'Medium',
    description:
      "This flaw allows a malicious HTTP server to set \"super cookies\" in curl that are then passed back to more origins than what is otherwise allowed or possible, because curl's function that verifies a given cookie domain against the Public Suffix List was mixing case.",
  },
  {
    vulnerabilityId: 'CVE-2024-0853',
    severitySource: INSPECTOR_SCAN,
    publishedAt: '2024-02-03',
    platform: AL,
    packages: CURL,
    fixedIn: '8.5.0-1.amzn2023.0.3',
    severity: 'MEDIUM',
    inspectorScore: 5.3,
    epss: 0.00058,
    exploitAvailable: true,
    vendorSeverity: 'Medium',
    description: 'curl inadvertently kept the SSL session ID for connections in its cache even when the verify status (OCSP stapling) test failed.',
  },
  {
    vulnerabilityId: 'CVE-2024-2004',
    severitySource: NVD_AFTER_SCAN,
    publishedAt: '2024-03-27',
    platform: AL,
    packages: CURL,
    fixedIn: '8.5.0-1.amzn2023.0.4',
    severity: 'LOW',
    inspectorScore: 3.5,
    epss: 0.00044,
    exploitAvailable: false,
    vendorSeverity: 'Low',
    description:
      'When a protocol selection parameter option disables all protocols without adding any then the default set of protocols would remain in the allowed set due to an error in the logic for removing protocols.',
  },
  {
    vulnerabilityId: 'CVE-2024-2398',
    severitySource: INSPECTOR_SCAN,
    publishedAt: '2024-03-27',
    platform: AL,
    packages: CURL,
    fixedIn: '8.5.0-1.amzn2023.0.4',
    severity: 'UNTRIAGED',
    epss: 0.00044,
    exploitAvailable: false,
    vendorSeverity: 'Medium',
    description:
      'When an application tells libcurl it wants to allow HTTP/2 server push, and the amount of received headers for the push surpasses the maximum allowed limit (1000), libcurl aborts the server push without freeing all the previously allocated headers, leaking memory.',
  },
  // ---------------------------------------------------------------- rpm
  {
    vulnerabilityId: 'CVE-2021-35937',
    severitySource: INSPECTOR_SCAN,
    publishedAt: '2022-08-25',
    platform: AL,
    packages: RPM,
    fixedIn: '4.16.1.3-29.amzn2023.0.6',
    severity: 'MEDIUM',
    inspectorScore: 6.4,
    epss: 0.00086,
    exploitAvailable: false,
    vendorSeverity: 'Medium',
    description:
      'A race condition vulnerability was found in rpm. A local unprivileged user could use this flaw to bypass the checks that were introduced in response to CVE-2017-7500 and CVE-2017-7501, potentially gaining root privileges.',
  },
  {
    vulnerabilityId: 'CVE-2021-35938',
    severitySource: INSPECTOR_SCAN,
    publishedAt: '2022-08-25',
    platform: AL,
    packages: RPM,
    fixedIn: '4.16.1.3-29.amzn2023.0.6',
    severity: 'MEDIUM',
    inspectorScore: 6.7,
    epss: 0.00075,
    exploitAvailable: false,
    vendorSeverity: 'Medium',
    description:
      'A symbolic link issue was found in rpm. It occurs when rpm sets the desired permissions and credentials after installing a file. A local unprivileged user could use this flaw to exchange the original file with a symbolic link to a security-critical file and escalate their privileges on the system.',
  },
  {
    vulnerabilityId: 'CVE-2021-35939',
    severitySource: INSPECTOR_SCAN,
    publishedAt: '2022-08-25',
    platform: AL,
    packages: RPM,
    fixedIn: '4.16.1.3-29.amzn2023.0.6',
    severity: 'MEDIUM',
    inspectorScore: 6.7,
    epss: 0.00075,
    exploitAvailable: false,
    vendorSeverity: 'Medium',
    description:
      'It was found that the fix for CVE-2017-7500 and CVE-2017-7501 was incomplete: the check was only implemented for the parent directory of the file to be created. A local unprivileged user who owns another ancestor directory could potentially use this flaw to gain root privileges.',
  },
  // ---------------------------------------------------------------- krb5
  {
    vulnerabilityId: 'CVE-2024-26458',
    severitySource: NVD_AFTER_SCAN,
    publishedAt: '2024-02-29',
    platform: AL,
    packages: ['krb5-libs'],
    fixedIn: '1.21-3.amzn2023.0.4',
    severity: 'MEDIUM',
    inspectorScore: 5.3,
    epss: 0.00043,
    exploitAvailable: false,
    vendorSeverity: 'Low',
    description: 'Kerberos 5 (aka krb5) 1.21.2 contains a memory leak in /krb5/src/lib/rpc/pmap_rmt.c.',
  },
  {
    vulnerabilityId: 'CVE-2024-26461',
    severitySource: NVD_AFTER_SCAN,
    publishedAt: '2024-02-29',
    platform: AL,
    packages: ['krb5-libs'],
    fixedIn: '1.21-3.amzn2023.0.4',
    severity: 'MEDIUM',
    inspectorScore: 5.3,
    epss: 0.00043,
    exploitAvailable: false,
    vendorSeverity: 'Low',
    description: 'Kerberos 5 (aka krb5) 1.21.2 contains a memory leak vulnerability in /krb5/src/lib/gssapi/krb5/k5sealv3.c.',
  },
  {
    vulnerabilityId: 'CVE-2024-26462',
    severitySource: NVD_AFTER_SCAN,
    publishedAt: '2024-02-29',
    platform: AL,
    packages: ['krb5-libs'],
    fixedIn: '1.21-3.amzn2023.0.4',
    severity: 'MEDIUM',
    inspectorScore: 5.5,
    epss: 0.00043,
    exploitAvailable: false,
    vendorSeverity: 'Low',
    description: 'Kerberos 5 (aka krb5) 1.21.2 contains a memory leak vulnerability in /krb5/src/kdc/ndr.c.',
  },
  // ---------------------------------------------------------------- python3
  {
    vulnerabilityId: 'CVE-2023-6597',
    severitySource: NVD_AFTER_SCAN,
    publishedAt: '2024-03-19',
    platform: AL,
    packages: PYTHON,
    fixedIn: '3.9.16-1.amzn2023.0.8',
    severity: 'HIGH',
    inspectorScore: 7.8,
    epss: 0.00044,
    exploitAvailable: false,
    vendorSeverity: 'Medium',
    description:
      'An issue was found in the CPython tempfile.TemporaryDirectory class: its cleanup method would dereference symlinks during cleanup if permissions-related errors were encountered, which could be used to modify the permissions of files referenced by symbolic links.',
  },
  {
    vulnerabilityId: 'CVE-2024-0450',
    severitySource: NVD_AFTER_SCAN,
    publishedAt: '2024-03-19',
    platform: AL,
    packages: PYTHON,
    fixedIn: '3.9.16-1.amzn2023.0.7',
    severity: 'MEDIUM',
    inspectorScore: 6.2,
    epss: 0.00046,
    exploitAvailable: false,
    vendorSeverity: 'Medium',
    description: 'An issue was found in the CPython zipfile module: it is vulnerable to "quoted-overlap" zip-bombs which exploit the zip format to create a zip-bomb with a high compression ratio.',
  },
  {
    vulnerabilityId: 'CVE-2024-6232',
    severitySource: NVD,
    publishedAt: '2024-09-03',
    platform: AL,
    packages: PYTHON,
    fixedIn: '3.9.20-1.amzn2023.0.2',
    severity: 'HIGH',
    inspectorScore: 7.5,
    exploitAvailable: false,
    advisory: 'ALAS2023-2024-790',
    vendorSeverity: 'Medium',
    description: 'Regular expressions that allowed excessive backtracking during tarfile.TarFile header parsing are vulnerable to ReDoS via specifically-crafted tar archives.',
  },
  {
    vulnerabilityId: 'CVE-2024-7592',
    severitySource: NVD,
    publishedAt: '2024-08-19',
    platform: AL,
    packages: PYTHON,
    fixedIn: '3.9.20-1.amzn2023.0.2',
    severity: 'HIGH',
    inspectorScore: 7.5,
    exploitAvailable: false,
    advisory: 'ALAS2023-2024-790',
    vendorSeverity: 'Low',
    description:
      "When parsing cookies that contained backslashes for quoted characters in the cookie value, CPython's http.cookies parser would use an algorithm with quadratic complexity, resulting in excess CPU resources being used while parsing the value.",
  },
  {
    vulnerabilityId: 'CVE-2024-8088',
    severitySource: NVD,
    publishedAt: '2024-08-22',
    platform: AL,
    packages: PYTHON,
    fixedIn: '3.9.20-1.amzn2023.0.2',
    severity: 'HIGH',
    inspectorScore: 7.5,
    exploitAvailable: false,
    advisory: 'ALAS2023-2024-790',
    vendorSeverity: 'Medium',
    description:
      'When iterating over names of entries in a zip archive (for example, methods of zipfile.ZipFile like namelist(), iterdir(), extractall()), the CPython zipfile module can be put into an infinite loop with a maliciously crafted zip archive.',
  },
  {
    vulnerabilityId: 'CVE-2024-6923',
    severitySource: NVD,
    publishedAt: '2024-08-01',
    platform: AL,
    packages: PYTHON,
    fixedIn: '3.9.20-1.amzn2023.0.2',
    severity: 'MEDIUM',
    inspectorScore: 5.5,
    exploitAvailable: false,
    advisory: 'ALAS2023-2024-790',
    vendorSeverity: 'Medium',
    description: "CPython's email module didn't properly quote newlines for email headers when serializing an email message, allowing for header injection when an email is serialized.",
  },
  {
    vulnerabilityId: 'CVE-2023-27043',
    severitySource: NVD,
    publishedAt: '2023-04-19',
    platform: AL,
    packages: PYTHON,
    fixedIn: '3.9.20-1.amzn2023.0.2',
    severity: 'MEDIUM',
    inspectorScore: 5.3,
    exploitAvailable: false,
    advisory: 'ALAS2023-2024-790',
    vendorSeverity: 'Medium',
    description:
      'The email module of Python through 3.11.3 incorrectly parses e-mail addresses that contain a special character. The wrong portion of an RFC2822 header is identified as the value of the addr-spec.',
  },
  // ---------------------------------------------------------------- others
  {
    vulnerabilityId: 'CVE-2024-28182',
    severitySource: NVD_AFTER_SCAN,
    publishedAt: '2024-04-04',
    platform: AL,
    packages: ['libnghttp2'],
    fixedIn: '1.59.0-3.amzn2023.0.1',
    severity: 'MEDIUM',
    inspectorScore: 5.3,
    epss: 0.00044,
    exploitAvailable: true,
    advisory: 'ALAS2023-2024-592',
    vendorSeverity: 'Medium',
    description:
      'nghttp2 is an implementation of HTTP/2. Prior to 1.61.0, the library keeps reading an unbounded number of HTTP/2 CONTINUATION frames even after a stream is reset to keep HPACK context in sync, causing excessive CPU usage to decode HPACK stream.',
  },
  {
    vulnerabilityId: 'CVE-2023-45918',
    severitySource: INSPECTOR_SCAN,
    publishedAt: '2024-02-16',
    platform: AL,
    packages: ['ncurses', 'ncurses-base', 'ncurses-libs'],
    fixedIn: '6.2-4.20200222.amzn2023.0.6',
    severity: 'UNTRIAGED',
    epss: 0.00043,
    exploitAvailable: false,
    vendorSeverity: 'Low',
    description: 'ncurses 6.4-20230610 has a NULL pointer dereference in tgetstr in tinfo/lib_termcap.c.',
  },
  {
    vulnerabilityId: 'CVE-2024-6345',
    severitySource: NVD,
    publishedAt: '2024-07-15',
    platform: AL,
    packages: ['python3-setuptools', 'python3-setuptools-wheel'],
    fixedIn: '59.6.0-2.amzn2023.0.5',
    severity: 'HIGH',
    inspectorScore: 8.8,
    exploitAvailable: false,
    advisory: 'ALAS2023-2024-676',
    vendorSeverity: 'Important',
    description:
      'A vulnerability in the package_index module of pypa/setuptools versions up to 69.1.1 allows for remote code execution via its download functions, which are used to download packages from URLs provided by users or retrieved from package index servers.',
  },
  {
    vulnerabilityId: 'CVE-2023-38408',
    severitySource: NVD,
    publishedAt: '2023-07-20',
    platform: AL,
    packages: ['openssh', 'openssh-clients', 'openssh-server'],
    fixedIn: '8.7p1-8.amzn2023.0.7',
    severity: 'CRITICAL',
    inspectorScore: 9.8,
    cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    exploitAvailable: true,
    advisory: 'ALAS2023-2023-273',
    vendorSeverity: 'Important',
    description:
      'The PKCS#11 feature in ssh-agent in OpenSSH before 9.3p2 has an insufficiently trustworthy search path, leading to remote code execution if an agent is forwarded to an attacker-controlled system.',
  },
  // ---------------------------------------------------------------- Ubuntu 22.04
  {
    vulnerabilityId: 'CVE-2024-6387',
    severitySource: NVD,
    publishedAt: '2024-07-01',
    fixReleasedAt: '2024-07-01',
    platform: UBUNTU,
    packages: ['openssh-server'],
    fixedIn: '1:8.9p1-3ubuntu0.10',
    severity: 'HIGH',
    inspectorScore: 8.1,
    cvssVector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H',
    exploitAvailable: true,
    advisory: 'USN-6859-1',
    vendorSeverity: 'high',
    description:
      "A security regression (CVE-2006-5051) was discovered in OpenSSH's server (sshd). There is a race condition which can lead sshd to handle some signals in an unsafe manner. An unauthenticated, remote attacker may be able to trigger it by failing to authenticate within a set time period.",
  },
  {
    vulnerabilityId: 'CVE-2023-4911',
    severitySource: NVD,
    publishedAt: '2023-10-03',
    fixReleasedAt: '2023-10-03',
    platform: UBUNTU,
    packages: ['libc6', 'libc-bin'],
    fixedIn: '2.35-0ubuntu3.4',
    severity: 'HIGH',
    inspectorScore: 7.8,
    cvssVector: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H',
    exploitAvailable: true,
    advisory: 'USN-6409-1',
    vendorSeverity: 'high',
    description:
      "A buffer overflow was discovered in the GNU C Library's dynamic loader ld.so while processing the GLIBC_TUNABLES environment variable. This issue could allow a local attacker to use maliciously crafted GLIBC_TUNABLES environment variables when launching binaries with SUID permission to execute code with elevated privileges.",
  },
  {
    vulnerabilityId: 'CVE-2023-38545',
    severitySource: NVD,
    publishedAt: '2023-10-18',
    fixReleasedAt: '2023-10-11',
    platform: UBUNTU,
    packages: ['curl', 'libcurl4'],
    fixedIn: '7.81.0-1ubuntu1.14',
    vulnerableFrom: '7.69.0',
    severity: 'CRITICAL',
    inspectorScore: 9.8,
    cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    exploitAvailable: true,
    advisory: 'USN-6429-1',
    vendorSeverity: 'high',
    description: 'This flaw makes curl overflow a heap based buffer in the SOCKS5 proxy handshake.',
  },
  {
    vulnerabilityId: 'CVE-2023-22809',
    severitySource: NVD,
    publishedAt: '2023-01-18',
    fixReleasedAt: '2023-01-18',
    platform: UBUNTU,
    packages: ['sudo'],
    fixedIn: '1.9.9-1ubuntu2.2',
    severity: 'HIGH',
    inspectorScore: 7.8,
    cvssVector: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H',
    exploitAvailable: true,
    advisory: 'USN-5811-1',
    vendorSeverity: 'medium',
    description:
      'In Sudo before 1.9.12p2, the sudoedit (aka -e) feature mishandles extra arguments passed in the user-provided environment variables (SUDO_EDITOR, VISUAL, and EDITOR), allowing a local attacker to append arbitrary entries to the list of files to edit, which leads to privilege escalation.',
  },
];
