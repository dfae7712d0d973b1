import { CATALOG } from '../../../local/cloud/inspector/catalog';
import { matchInventory, severityCounts } from '../../../local/cloud/inspector/matcher';
import { baseImageSoftware } from '../../../local/cloud/packages/base-images';
import { repositoryForPlatform } from '../../../local/cloud/packages/repository';
import { parseEvr } from '../../../local/cloud/packages/version';
import { runShellScript } from '../../../local/cloud/ssm/shell';

describe('vulnerability catalog', () => {
  it('holds well-formed, unique records whose fixes the repositories carry', async () => {
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
      const repository = repositoryForPlatform(record.platform)!;
      for (const name of record.packages) expect(repository.packages[name]).toBeDefined();
    }
  });

  it('finds a realistic mix on the outdated AL2023 base image', async () => {
    // Act
    const matches = matchInventory(baseImageSoftware('al2023-2024-outdated'));
    // Assess
    expect(severityCounts(matches)).toEqual({ CRITICAL: 3, HIGH: 7, MEDIUM: 12, LOW: 2, UNTRIAGED: 1 });
    const expat = matches.find((m) => m.record.vulnerabilityId === 'CVE-2024-45490');
    expect(expat?.packages).toEqual([{ name: 'expat', epoch: 0, version: '2.5.0', release: '1.amzn2023.0.3', arch: 'x86_64' }]);
    expect(matches.find((m) => m.record.vulnerabilityId === 'CVE-2023-46218')?.packages.map((p) => p.name)).toEqual(['curl-minimal', 'libcurl-minimal']);
    expect(matches.some((m) => m.record.vulnerabilityId === 'CVE-2023-38408')).toBe(false);
  });

  it('finds the OpenSSH ssh-agent flaw only on the older AL2023 image', async () => {
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
