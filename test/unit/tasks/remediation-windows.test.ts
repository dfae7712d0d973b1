/** Remediation windows in the scan gate (issue 15): a fixable finding past its severity's window fails the gate whatever the counts. */
import { Inspector2Client, ListFindingsCommand, type Finding } from '@aws-sdk/client-inspector2';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { GateFinding } from '../../../tasks/contracts';
import { toGateFinding } from '../../../tasks/evaluateScanGate/findings';
import { evaluateScanGate, type ScanGate } from '../../../tasks/evaluateScanGate/gate';
import { handler as evaluateScanGateHandler } from '../../../tasks/evaluateScanGate/handler';
import { run } from './fixtures';

const NOW = new Date('2026-11-22T10:15:30.000Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString().slice(0, 10) + 'T00:00:00.000Z';
const UNLIMITED = { CRITICAL: 'unlimited', HIGH: 'unlimited', MEDIUM: 'unlimited', LOW: 'unlimited', INFORMATIONAL: 'unlimited', UNTRIAGED: 'unlimited' } as const;

const high = (id: string, fixedDaysAgo: number | undefined, overrides: Partial<GateFinding> = {}): GateFinding => ({
  findingArn: `arn:aws:inspector2:eu-west-1:111111111111:finding/${id}`,
  vulnerabilityId: id,
  severity: 'HIGH',
  title: `${id} - glibc`,
  packageName: 'glibc',
  installedVersion: '2.34-52.amzn2023.0.8',
  fixAvailable: true,
  ...(fixedDaysAgo === undefined ? {} : { fixAvailableSince: daysAgo(fixedDaysAgo) }),
  ...overrides,
});
const gate = (windows: ScanGate['maxDaysSinceFix'], exceptions: ScanGate['exceptions'] = []): ScanGate => ({ maxFindings: { ...UNLIMITED }, maxDaysSinceFix: windows, exceptions });

describe('remediation windows (pure gate)', () => {
  it('fails a HIGH finding whose fix is 10 days old under a 7-day window, naming it and since when', () => {
    const result = evaluateScanGate([high('CVE-2024-2961', 10)], gate({ HIGH: 7 }), NOW);

    expect(result.passed).toBe(false);
    expect(result.violations).toEqual(['HIGH CVE-2024-2961 (glibc 2.34-52.amzn2023.0.8): fix available since 2026-11-12, 10 days > 7 allowed']);
    expect(result.windowViolations).toEqual([
      { vulnerabilityId: 'CVE-2024-2961', severity: 'HIGH', packageName: 'glibc', installedVersion: '2.34-52.amzn2023.0.8', fixAvailableSince: '2026-11-12T00:00:00.000Z', daysSinceFix: 10, maxDaysSinceFix: 7 },
    ]);
  });

  it('passes a HIGH finding whose fix is 3 days old under the same window (the counts allow it)', () => {
    const result = evaluateScanGate([high('CVE-2024-2961', 3)], gate({ HIGH: 7 }), NOW);

    expect(result.passed).toBe(true);
    expect(result.windowViolations).toEqual([]);
    expect(result.windows).toMatchObject({ HIGH: 7, MEDIUM: 'unlimited' });
  });

  it('still passes on the window\'s last day (7 whole days) and fails the day after', () => {
    expect(evaluateScanGate([high('CVE-A', 7)], gate({ HIGH: 7 }), NOW).passed).toBe(true);
    expect(evaluateScanGate([high('CVE-A', 8)], gate({ HIGH: 7 }), NOW).passed).toBe(false);
  });

  it('lets no fixable finding through a 0-day window, not even on the fix\'s own day ("0: not at all")', () => {
    const result = evaluateScanGate([high('CVE-A', 0), high('CVE-B', undefined, { fixAvailable: false })], gate({ HIGH: 0 }), NOW);

    expect(result.passed).toBe(false);
    expect(result.violations).toEqual(['HIGH CVE-A (glibc 2.34-52.amzn2023.0.8): fix available since 2026-11-22; a 0-day window lets no fixable HIGH finding ship']);
  });

  it('fails whatever the counts: the count allows 3, one old fix fails', () => {
    const result = evaluateScanGate([high('CVE-A', 1), high('CVE-B', 40)], { ...gate({ HIGH: 7 }), maxFindings: { ...UNLIMITED, HIGH: 3 } }, NOW);

    expect(result.counts.HIGH).toBe(2);
    expect(result.violations).toEqual(['HIGH CVE-B (glibc 2.34-52.amzn2023.0.8): fix available since 2026-10-13, 40 days > 7 allowed']);
  });

  it('leaves findings without a fix to the counts', () => {
    const result = evaluateScanGate([high('CVE-A', undefined, { fixAvailable: false })], gate({ HIGH: 0 }), NOW);
    expect(result.passed).toBe(true);
  });

  it('fails closed on a fixable finding without a date', () => {
    const result = evaluateScanGate([high('CVE-A', undefined)], gate({ HIGH: 7 }), NOW);

    expect(result.passed).toBe(false);
    expect(result.violations[0]).toContain('HIGH CVE-A (glibc 2.34-52.amzn2023.0.8): a fix is available but Inspector gives no date for it');
  });

  it('lets a valid exception cover a finding past its window', () => {
    const exception = { cve: 'CVE-A', reason: 'not reachable here', approvedBy: 'sec@example.com', expiresOn: '2027-01-31' };
    expect(evaluateScanGate([high('CVE-A', 30)], gate({ HIGH: 7 }, [exception]), NOW).passed).toBe(true);
  });

  it('applies each severity its own window; no window means counts only', () => {
    const medium = high('CVE-M', 20, { severity: 'MEDIUM' });
    const low = high('CVE-L', 400, { severity: 'LOW' });

    expect(evaluateScanGate([medium, low], gate({ HIGH: 7, MEDIUM: 30 }), NOW).passed).toBe(true);
    expect(evaluateScanGate([medium, low], gate({ HIGH: 7, MEDIUM: 14 }), NOW).violations).toEqual([
      'MEDIUM CVE-M (glibc 2.34-52.amzn2023.0.8): fix available since 2026-11-02, 20 days > 14 allowed',
    ]);
  });

  it('reads when the fix became available from the vendor\'s vendorUpdatedAt of a fixable finding', () => {
    const finding = (fixAvailable: Finding['fixAvailable']): Finding => ({
      findingArn: 'arn:f', awsAccountId: '111111111111', type: 'PACKAGE_VULNERABILITY', description: '', title: 'CVE-2024-2961 - glibc',
      remediation: {}, severity: 'HIGH', firstObservedAt: NOW, lastObservedAt: NOW, status: 'ACTIVE', resources: [], fixAvailable,
      packageVulnerabilityDetails: {
        vulnerabilityId: 'CVE-2024-2961', source: 'AMAZON_CVE', vulnerablePackages: [{ name: 'glibc', version: '2.34' }],
        vendorCreatedAt: new Date('2024-04-17T00:00:00Z'), vendorUpdatedAt: new Date('2026-11-12T00:00:00Z'),
      },
    });

    expect(toGateFinding(finding('YES')).fixAvailableSince).toBe('2026-11-12T00:00:00.000Z');
    expect(toGateFinding(finding('PARTIAL')).fixAvailableSince).toBe('2026-11-12T00:00:00.000Z');
    expect(toGateFinding(finding('NO'))).not.toHaveProperty('fixAvailableSince');
  });
});

describe('evaluateScanGate task with windows', () => {
  const inspector = mockClient(Inspector2Client);
  const ddb = mockClient(DynamoDBDocumentClient);
  beforeEach(() => {
    inspector.reset();
    ddb.reset();
    ddb.on(PutCommand).resolves({});
  });

  const inspectorFinding = (fixedDaysAgo: number): Finding => ({
    findingArn: 'arn:aws:inspector2:eu-west-1:111111111111:finding/g', awsAccountId: '111111111111', type: 'PACKAGE_VULNERABILITY',
    description: '', title: 'CVE-2024-2961 - glibc', remediation: {}, severity: 'HIGH', firstObservedAt: NOW, lastObservedAt: NOW,
    status: 'ACTIVE', resources: [], fixAvailable: 'YES',
    packageVulnerabilityDetails: {
      vulnerabilityId: 'CVE-2024-2961', source: 'AMAZON_CVE',
      vulnerablePackages: [{ name: 'glibc', version: '2.34', release: '52.amzn2023.0.8', fixedInVersion: '2.34-52.amzn2023.0.10' }],
      vendorUpdatedAt: new Date(daysAgo(fixedDaysAgo)),
    },
  });
  const event = {
    run, instanceId: 'i-0bbbbbbbbbbbbbbb2', imageId: 'ami-0fedcba9876543210', version: 12, registryTable: 'gami-registry-web-base',
    scanGate: { maxFindings: { ...UNLIMITED }, maxDaysSinceFix: { HIGH: 7 }, exceptions: [] },
  };

  it('passes a 3-day-old fix and fails a 10-day-old one with ScanGateFailed naming the finding, after writing the evidence', async () => {
    inspector.on(ListFindingsCommand).resolvesOnce({ findings: [inspectorFinding(3)] }).resolvesOnce({ findings: [inspectorFinding(10)] });

    await expect(evaluateScanGateHandler(event)).resolves.toMatchObject({ passed: true, windowViolations: [] });
    await expect(evaluateScanGateHandler(event)).rejects.toMatchObject({
      name: 'ScanGateFailed',
      message: expect.stringContaining(
        'HIGH CVE-2024-2961 (glibc 2.34-52.amzn2023.0.8): fix available since 2026-11-12, 10 days > 7 allowed. Findings vs thresholds: CRITICAL 0/unlimited, HIGH 1/unlimited',
      ),
    });
    const evidence = ddb.commandCalls(PutCommand)[1].args[0].input.Item!;
    expect(evidence.result.windowViolations).toEqual([expect.objectContaining({ vulnerabilityId: 'CVE-2024-2961', daysSinceFix: 10, maxDaysSinceFix: 7 })]);
  });
});
