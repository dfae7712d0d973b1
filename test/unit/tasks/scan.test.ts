import { Inspector2Client, ListCoverageCommand, ListFindingsCommand, type Finding, type ScanStatusReason } from '@aws-sdk/client-inspector2';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as checkScanCoverage } from '../../../tasks/checkScanCoverage/handler';
import type { GateFinding } from '../../../tasks/contracts';
import { fitEvidence } from '../../../tasks/evaluateScanGate/evaluateScanGate';
import { toGateFinding } from '../../../tasks/evaluateScanGate/findings';
import { handler as evaluateScanGate } from '../../../tasks/evaluateScanGate/handler';
import { EXECUTION_ARN, run } from './fixtures';

const inspector = mockClient(Inspector2Client);
const ddb = mockClient(DynamoDBDocumentClient);
beforeEach(() => {
  inspector.reset();
  ddb.reset();
  ddb.on(PutCommand).resolves({});
});

const INSTANCE = 'i-0bbbbbbbbbbbbbbb2';

describe('checkScanCoverage', () => {
  const event = { run, instanceId: INSTANCE };
  const coverage = (statusCode: 'ACTIVE' | 'INACTIVE', reason: ScanStatusReason, lastScannedAt?: Date) =>
    inspector.on(ListCoverageCommand).resolves({
      coveredResources: [
        { resourceId: INSTANCE, resourceType: 'AWS_EC2_INSTANCE', accountId: '111111111111', scanType: 'PACKAGE', scanStatus: { statusCode, reason }, lastScannedAt },
      ],
    });

  it('is SCANNED when coverage is ACTIVE and the scan succeeded', async () => {
    coverage('ACTIVE', 'SUCCESSFUL', new Date('2026-11-22T10:10:00Z'));

    await expect(checkScanCoverage(event)).resolves.toEqual({ status: 'SCANNED', statusReason: 'SUCCESSFUL' });
    expect(inspector).toReceiveCommandWith(ListCoverageCommand, { filterCriteria: { resourceId: [{ comparison: 'EQUALS', value: INSTANCE }] } });
  });

  it.each([
    ['ACTIVE', 'PENDING_INITIAL_SCAN'],
    ['INACTIVE', 'PENDING_INITIAL_SCAN'],
    ['ACTIVE', 'SCAN_IN_PROGRESS'],
  ] as const)('is PENDING while coverage is %s with %s', async (statusCode, reason) => {
    coverage(statusCode, reason);
    await expect(checkScanCoverage(event)).resolves.toEqual({ status: 'PENDING', statusReason: reason });
  });

  it('is PENDING while Inspector has not discovered the instance (empty pages with tokens are followed)', async () => {
    inspector.on(ListCoverageCommand).resolvesOnce({ coveredResources: [], nextToken: 't' }).resolvesOnce({ coveredResources: [] });

    await expect(checkScanCoverage(event)).resolves.toEqual({ status: 'PENDING' });
    expect(inspector).toReceiveCommandTimes(ListCoverageCommand, 2);
  });

  it('fails closed with ScanIncomplete when the scan is still pending at the deadline (scan timeout)', async () => {
    // Prepare
    coverage('ACTIVE', 'PENDING_INITIAL_SCAN');

    // Act + Assess
    await expect(checkScanCoverage({ ...event, deadline: '2026-11-22T11:15:30.000Z' })).resolves.toEqual({ status: 'PENDING', statusReason: 'PENDING_INITIAL_SCAN' });
    await expect(checkScanCoverage({ ...event, deadline: '2026-11-22T10:15:30.000Z' })).rejects.toMatchObject({
      name: 'ScanIncomplete',
      message:
        `Amazon Inspector did not finish scanning test instance ${INSTANCE} by 2026-11-22T10:15:30.000Z (scan timeout); ` +
        'last coverage: ACTIVE (PENDING_INITIAL_SCAN). No scan result means no gate decision (fail closed).',
    });
  });

  it('fails closed at the deadline when Inspector never discovered the instance', async () => {
    inspector.on(ListCoverageCommand).resolves({ coveredResources: [] });

    await expect(checkScanCoverage({ ...event, deadline: run.now })).rejects.toThrow('last coverage: not yet discovered by Inspector');
  });

  it('returns SCANNED even past the deadline once the scan is done', async () => {
    coverage('ACTIVE', 'SUCCESSFUL', new Date('2026-11-22T10:10:00Z'));

    await expect(checkScanCoverage({ ...event, deadline: '2026-11-22T09:00:00.000Z' })).resolves.toMatchObject({ status: 'SCANNED' });
  });

  it.each([
    ['UNSUPPORTED_OS', 'Inspector does not support this operating system'],
    ['UNMANAGED_EC2_INSTANCE', 'the instance is not managed by SSM'],
    ['EXCLUDED_BY_TAG', 'InspectorEc2Exclusion'],
    ['SCAN_ELIGIBILITY_EXPIRED', 'No scan result means no gate decision'],
  ] as const)('fails closed with ScanIncomplete for INACTIVE %s', async (reason, text) => {
    coverage('INACTIVE', reason);

    await expect(checkScanCoverage(event)).rejects.toMatchObject({
      name: 'ScanIncomplete',
      message: expect.stringContaining(`cannot scan test instance ${INSTANCE}: coverage is INACTIVE (${reason})`),
    });
    await expect(checkScanCoverage(event)).rejects.toThrow(text);
  });
});

describe('toGateFinding', () => {
  it('converts an Inspector package finding', () => {
    const finding: Finding = {
      findingArn: 'arn:aws:inspector2:eu-west-1:111111111111:finding/abc',
      awsAccountId: '111111111111',
      type: 'PACKAGE_VULNERABILITY',
      description: 'Issue summary',
      title: 'CVE-2024-2511 - openssl-libs',
      remediation: {},
      severity: 'MEDIUM',
      firstObservedAt: new Date(),
      lastObservedAt: new Date(),
      status: 'ACTIVE',
      resources: [],
      inspectorScore: 5.9,
      exploitAvailable: 'NO',
      fixAvailable: 'YES',
      packageVulnerabilityDetails: {
        vulnerabilityId: 'CVE-2024-2511',
        source: 'AMAZON_CVE',
        vulnerablePackages: [{ name: 'openssl-libs', version: '3.0.8', release: '1.amzn2023.0.11', epoch: 1, fixedInVersion: '1:3.0.8-1.amzn2023.0.12' }],
      },
    };

    expect(toGateFinding(finding)).toEqual({
      findingArn: 'arn:aws:inspector2:eu-west-1:111111111111:finding/abc',
      vulnerabilityId: 'CVE-2024-2511',
      severity: 'MEDIUM',
      title: 'CVE-2024-2511 - openssl-libs',
      packageName: 'openssl-libs',
      installedVersion: '1:3.0.8-1.amzn2023.0.11',
      fixedInVersion: '1:3.0.8-1.amzn2023.0.12',
      inspectorScore: 5.9,
      exploitAvailable: false,
      fixAvailable: true,
    });
  });
});

describe('evaluateScanGate task', () => {
  const inspectorFinding = (id: string, severity: Finding['severity'], score: number): Finding => ({
    findingArn: `arn:aws:inspector2:eu-west-1:111111111111:finding/${id}`,
    awsAccountId: '111111111111',
    type: 'PACKAGE_VULNERABILITY',
    description: '',
    title: `${id} - pkg`,
    remediation: {},
    severity,
    firstObservedAt: new Date(),
    lastObservedAt: new Date(),
    status: 'ACTIVE',
    resources: [],
    inspectorScore: score,
    packageVulnerabilityDetails: { vulnerabilityId: id, source: 'NVD' },
  });
  const event = {
    run,
    instanceId: INSTANCE,
    imageId: 'ami-0fedcba9876543210',
    version: 12,
    registryTable: 'gami-registry',
    scanGate: {
      maxFindings: { CRITICAL: 0, HIGH: 0, MEDIUM: 1, LOW: 'unlimited' as const, INFORMATIONAL: 'unlimited' as const, UNTRIAGED: 0 },
      exceptions: [{ cve: 'CVE-2024-2511', reason: 'not reachable here', approvedBy: 'sec@example.com', expiresOn: '2027-03-31' }],
    },
  };

  it('reads every page of ACTIVE findings of the instance, passes and records the evidence', async () => {
    // Prepare
    inspector
      .on(ListFindingsCommand)
      .resolvesOnce({ findings: [inspectorFinding('CVE-2026-0001', 'LOW', 2.1)], nextToken: 'p2' })
      .resolvesOnce({ findings: [inspectorFinding('CVE-2024-2511', 'CRITICAL', 9.8), inspectorFinding('CVE-2026-0003', 'MEDIUM', 5.0)] });

    // Act
    const result = await evaluateScanGate(event);

    // Assess
    expect(result).toMatchObject({
      passed: true,
      counts: { CRITICAL: 0, MEDIUM: 1, LOW: 1 },
      exceptionsApplied: [{ cve: 'CVE-2024-2511', findings: 1, expiresOn: '2027-03-31' }],
      totalFindings: 3,
    });
    expect(inspector).toHaveReceivedNthSpecificCommandWith(1, ListFindingsCommand, {
      filterCriteria: {
        resourceId: [{ comparison: 'EQUALS', value: INSTANCE }],
        findingStatus: [{ comparison: 'EQUALS', value: 'ACTIVE' }],
      },
      maxResults: 100,
    });
    expect(inspector).toHaveReceivedNthSpecificCommandWith(2, ListFindingsCommand, { nextToken: 'p2' });
    expect(ddb).toReceiveCommandWith(PutCommand, {
      TableName: 'gami-registry',
      Item: expect.objectContaining({
        pk: 'PIPELINE#web-base',
        sk: 'IMAGE#000012#SCAN',
        imageId: 'ami-0fedcba9876543210',
        executionArn: EXECUTION_ARN,
        passed: true,
        result,
        findingsOmitted: 0,
        findings: [
          expect.objectContaining({ vulnerabilityId: 'CVE-2024-2511' }),
          expect.objectContaining({ vulnerabilityId: 'CVE-2026-0003' }),
          expect.objectContaining({ vulnerabilityId: 'CVE-2026-0001' }),
        ],
      }),
    });
  });

  it('records the evidence, then throws ScanGateFailed with counts vs thresholds', async () => {
    inspector.on(ListFindingsCommand).resolves({
      findings: [inspectorFinding('CVE-2026-0010', 'HIGH', 8.1), inspectorFinding('CVE-2026-0011', 'HIGH', 7.0), inspectorFinding('CVE-2024-2511', 'CRITICAL', 9.8)],
    });

    await expect(evaluateScanGate(event)).rejects.toMatchObject({
      name: 'ScanGateFailed',
      message:
        'scan gate failed for ami-0fedcba9876543210 (web-base v12): HIGH: 2 findings > 0 allowed. Findings vs thresholds: ' +
        'CRITICAL 0/0, HIGH 2/0, MEDIUM 0/1, LOW 0/unlimited, INFORMATIONAL 0/unlimited, UNTRIAGED 0/0. ' +
        'Exceptions applied: CVE-2024-2511 (1, until 2027-03-31).',
    });
    expect(ddb).toReceiveCommandWith(PutCommand, { Item: expect.objectContaining({ passed: false, sk: 'IMAGE#000012#SCAN' }) });
  });

  it('keeps the evidence item under the DynamoDB size limit', () => {
    const findings: GateFinding[] = Array.from({ length: 50 }, (_, i) => ({
      findingArn: `arn:${i}`,
      vulnerabilityId: `CVE-2026-${1000 + i}`,
      severity: 'LOW',
      title: 'x'.repeat(100),
    }));

    const { kept, omitted } = fitEvidence(findings, 1500);

    expect(kept.length + omitted).toBe(50);
    expect(Buffer.byteLength(JSON.stringify(kept))).toBeLessThanOrEqual(1500 + kept.length);
    expect(omitted).toBeGreaterThan(0);
  });
});
