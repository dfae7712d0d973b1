import { CATALOG, fixAvailableSince } from '../../../local/cloud/inspector/catalog';
import { isVulnerable, matchInventory, severityCounts } from '../../../local/cloud/inspector/matcher';
import { baseImageSoftware } from '../../../local/cloud/packages/base-images';
import { repositoryForPlatform } from '../../../local/cloud/packages/repository';
import { compareEvr, formatEvr, parseEvr } from '../../../local/cloud/packages/version';
import { runShellScript } from '../../../local/cloud/ssm/shell';

describe('vulnerability catalog', () => {
  it('holds well-formed, unique records whose fixes the repositories carry', () => {
    // Act
    const keys = CATALOG.map((r) => `${r.platform}/${r.vulnerabilityId}`);
    // Assess
    expect(CATALOG.length).toBeGreaterThanOrEqual(25);
    expect(new Set(keys).size).toBe(keys.length);
    for (const record of CATALOG) {
      expect(record.vulnerabilityId).toMatch(/^CVE-\d{4}-\d{4,}$/);
      const format = record.platform === 'UBUNTU_22_04' ? 'deb' : 'rpm';
      expect(() => parseEvr(record.fixedIn, format)).not.toThrow();
      if (record.severity !== 'UNTRIAGED' && record.inspectorScore !== undefined) {
        const expected = record.inspectorScore >= 9 ? 'CRITICAL' : record.inspectorScore >= 7 ? 'HIGH' : record.inspectorScore >= 4 ? 'MEDIUM' : 'LOW';
        expect(`${record.vulnerabilityId} ${record.severity}`).toBe(`${record.vulnerabilityId} ${expected}`);
      }
      // The repository carries each affected package at the fixed build or later, so an update can fix it.
      const repository = repositoryForPlatform(record.platform)!;
      for (const name of record.packages) {
        const carried = repository.packages[name];
        expect(carried).toBeDefined();
        const order = compareEvr(carried, parseEvr(record.fixedIn, format), format);
        expect(`${record.vulnerabilityId} ${name} ${formatEvr(carried)} ${order >= 0 ? '>=' : '<'} ${record.fixedIn}`).toBe(
          `${record.vulnerabilityId} ${name} ${formatEvr(carried)} >= ${record.fixedIn}`,
        );
      }
    }
  });

  it('says where each severity comes from: the real scan’s own (UNTRIAGED without a score) or a later NVD score', () => {
    // Act
    const bySource = (source: string) => CATALOG.filter((r) => r.severitySource === source).map((r) => r.vulnerabilityId).sort();
    // Assess: the scan's scored and untriaged CVEs, as in the source table
    expect(bySource('INSPECTOR_SCAN')).toEqual(['CVE-2021-35937', 'CVE-2021-35938', 'CVE-2021-35939', 'CVE-2023-45918', 'CVE-2023-46218', 'CVE-2024-0853', 'CVE-2024-2398']);
    for (const record of CATALOG) {
      if (record.severitySource === 'INSPECTOR_SCAN') expect(`${record.vulnerabilityId} ${record.severity === 'UNTRIAGED'}`).toBe(`${record.vulnerabilityId} ${record.inspectorScore === undefined}`);
      // A record whose severity is not the scan's own must carry the score it was derived from.
      else expect(`${record.vulnerabilityId} ${record.inspectorScore !== undefined}`).toBe(`${record.vulnerabilityId} true`);
      expect(record.publishedAt).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(fixAvailableSince(record)).toBe(record.fixReleasedAt ?? record.publishedAt);
    }
    expect(CATALOG.find((r) => r.vulnerabilityId === 'CVE-2023-45918')).toMatchObject({ severity: 'UNTRIAGED', severitySource: 'INSPECTOR_SCAN' });
  });

  it('honours vulnerableFrom: a curl older than the SOCKS5 flaw is not vulnerable to it, whatever its fixed build says', () => {
    // Prepare: Ubuntu 20.04's curl 7.68.0 sorts before both the fixed build and 7.69.0, where the flaw came in
    const software = baseImageSoftware('ubuntu-2204-outdated');
    const record = CATALOG.find((r) => r.vulnerabilityId === 'CVE-2023-38545')!;
    const old = { ...software.packages.curl, version: '7.68.0', release: '1ubuntu2.20' };
    const affected = { ...software.packages.curl, version: '7.81.0', release: '1ubuntu1.7' };
    software.packages.curl = old;
    software.packages.libcurl4 = { ...old, name: 'libcurl4' };
    // Act
    const ids = matchInventory(software).map((m) => m.record.vulnerabilityId);
    // Assess
    expect(isVulnerable(old, record, software)).toBe(false);
    expect(isVulnerable(affected, record, software)).toBe(true);
    expect(ids).not.toContain('CVE-2023-38545');
  });

  it('finds a realistic mix on the outdated AL2023 base image', () => {
    // Act
    const matches = matchInventory(baseImageSoftware('al2023-2024-outdated'));
    // Assess
    expect(severityCounts(matches)).toEqual({ CRITICAL: 3, HIGH: 7, MEDIUM: 12, LOW: 1, UNTRIAGED: 2 });
    const expat = matches.find((m) => m.record.vulnerabilityId === 'CVE-2024-45490');
    expect(expat?.packages).toEqual([{ name: 'expat', epoch: 0, version: '2.5.0', release: '1.amzn2023.0.3', arch: 'x86_64' }]);
    expect(matches.find((m) => m.record.vulnerabilityId === 'CVE-2023-46218')?.packages.map((p) => p.name)).toEqual(['curl-minimal', 'libcurl-minimal']);
    expect(matches.some((m) => m.record.vulnerabilityId === 'CVE-2023-38408')).toBe(false);
  });

  it('finds the OpenSSH ssh-agent flaw only on the older AL2023 image', () => {
    const ids = matchInventory(baseImageSoftware('al2023-2023-outdated')).map((m) => m.record.vulnerabilityId);
    expect(ids).toContain('CVE-2023-38408');
  });

  it('scans clean after the OS-update component (dnf -y update) and on the current image', async () => {
    // Prepare
    const software = baseImageSoftware('al2023-2024-outdated');
    // Act
    await runShellScript(['dnf -y update'], software);
    // Assess
    expect(matchInventory(software)).toEqual([]);
    expect(matchInventory(baseImageSoftware('al2023-current'))).toEqual([]);
  });

  it('scans clean after security-only updates too', async () => {
    const software = baseImageSoftware('al2023-2024-outdated');
    await runShellScript(['dnf -y upgrade --security'], software);
    expect(matchInventory(software)).toEqual([]);
  });

  it('matches Ubuntu by dpkg ordering and skips Windows', async () => {
    // Prepare
    const ubuntu = baseImageSoftware('ubuntu-2204-outdated');
    // Act
    const before = matchInventory(ubuntu).map((m) => m.record.vulnerabilityId);
    await runShellScript(['apt-get update', 'apt-get -y upgrade'], ubuntu);
    // Assess
    expect(before).toEqual(['CVE-2024-6387', 'CVE-2023-4911', 'CVE-2023-38545', 'CVE-2023-22809']);
    expect(matchInventory(ubuntu)).toEqual([]);
    expect(matchInventory(baseImageSoftware('windows-2022'))).toEqual([]);
  });
});
