import { CreateImageCommand, DescribeImagesCommand, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { BatchGetFindingDetailsCommand, Inspector2Client, ListCoverageCommand, ListFindingsCommand, type Finding } from '@aws-sdk/client-inspector2';
import { GetCommandInvocationCommand, GetParameterCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { createClient } from '../../../tasks/clients';
import { AL2023_PARAMETER, clients, credentialsOf, elapse, START, startExampleCloud, TOOLING, type ExampleCloud } from './cloud-fixture';

const REGION = 'eu-west-1';
const MINUTE = 60_000;

let env: ExampleCloud;
const ec2 = () => clients.ec2(REGION);
const ssm = () => clients.ssm(REGION);
const inspector = () => createClient(Inspector2Client, { region: REGION, credentials: credentialsOf(TOOLING), maxAttempts: 3 });

beforeEach(async () => {
  env = await startExampleCloud();
});

afterEach(async () => {
  await env.cloud.stop();
});

async function imageIdNamed(name: string): Promise<string> {
  const out = await ec2().send(new DescribeImagesCommand({ Owners: ['amazon', 'self'], Filters: [{ Name: 'name', Values: [name] }] }));
  return out.Images?.[0]?.ImageId ?? '';
}

async function launch(imageId?: string): Promise<string> {
  const image = imageId ?? (await ssm().send(new GetParameterCommand({ Name: AL2023_PARAMETER }))).Parameter?.Value;
  const out = await ec2().send(
    new RunInstancesCommand({ ImageId: image, MinCount: 1, MaxCount: 1, InstanceType: 't3.small', SubnetId: 'subnet-0a1b2c3d4e5f67890', IamInstanceProfile: { Name: 'GamiBuilderInstanceProfile' } }),
  );
  return out.Instances?.[0]?.InstanceId ?? '';
}

async function coverage(instanceId: string) {
  const out = await inspector().send(new ListCoverageCommand({ filterCriteria: { resourceId: [{ comparison: 'EQUALS', value: instanceId }] } }));
  return out.coveredResources ?? [];
}

async function findings(instanceId: string, status = 'ACTIVE'): Promise<Finding[]> {
  const all: Finding[] = [];
  let nextToken: string | undefined;
  do {
    const page = await inspector().send(
      new ListFindingsCommand({
        filterCriteria: { resourceId: [{ comparison: 'EQUALS', value: instanceId }], findingStatus: [{ comparison: 'EQUALS', value: status }] },
        maxResults: 10,
        nextToken,
      }),
    );
    all.push(...(page.findings ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return all;
}

async function runToCompletion(instanceId: string, commands: string[]): Promise<string> {
  const sent = await ssm().send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [instanceId], Parameters: { commands } }));
  for (;;) {
    await elapse(env.clock, 10_000);
    const out = await ssm().send(new GetCommandInvocationCommand({ CommandId: sent.Command?.CommandId, InstanceId: instanceId }));
    if (out.Status !== 'Pending' && out.Status !== 'InProgress') return out.Status ?? '';
  }
}

const count = (list: Finding[], severity: string) => list.filter((f) => f.severity === severity).length;

describe('ListCoverage', () => {
  it('discovers an instance, then scans it once its agent is online', async () => {
    // Prepare
    const instanceId = await launch();
    // Act
    await elapse(env.clock, 2 * MINUTE);
    const undiscovered = await coverage(instanceId);
    await elapse(env.clock, 1 * MINUTE);
    const pending = await coverage(instanceId);
    await elapse(env.clock, 4 * MINUTE);
    const scanned = await coverage(instanceId);
    // Assess
    expect(undiscovered).toEqual([]);
    expect(pending).toEqual([
      expect.objectContaining({ resourceId: instanceId, resourceType: 'AWS_EC2_INSTANCE', scanType: 'PACKAGE', scanMode: 'EC2_SSM_AGENT_BASED', scanStatus: { statusCode: 'ACTIVE', reason: 'PENDING_INITIAL_SCAN' } }),
    ]);
    expect(pending[0].lastScannedAt).toBeUndefined();
    expect(scanned[0].scanStatus).toEqual({ statusCode: 'ACTIVE', reason: 'SUCCESSFUL' });
    // Agent online 45 s + 60 s after launch, first scan 5 minutes later.
    expect(scanned[0].lastScannedAt).toEqual(new Date(START + 105_000 + 5 * MINUTE));
    expect(scanned[0].resourceMetadata?.ec2).toMatchObject({ platform: 'LINUX' });
  });

  it('says why an instance is never scanned: no SSM agent, unsupported OS, a scan that never completes', async () => {
    // Prepare
    const minimal = await launch(await imageIdNamed('al2023-ami-minimal-2023.3.20240312.0-kernel-6.1-x86_64'));
    const windows = await launch(await imageIdNamed('Windows_Server-2022-English-Full-Base-2024.03.13'));
    env.cloud.world.faults.add({ behaviour: 'inspector.scanNeverCompletes', count: 1 });
    const stuck = await launch();
    // Act
    await elapse(env.clock, 3 * 60 * MINUTE);
    const out = await inspector().send(new ListCoverageCommand({ filterCriteria: { scanStatusCode: [{ comparison: 'EQUALS', value: 'INACTIVE' }] } }));
    const stuckCoverage = await coverage(stuck);
    // Assess
    expect(out.coveredResources?.map((r) => [r.resourceId, r.scanStatus?.reason])).toEqual([
      [minimal, 'UNMANAGED_EC2_INSTANCE'],
      [windows, 'UNSUPPORTED_OS'],
    ]);
    expect(stuckCoverage[0].scanStatus).toEqual({ statusCode: 'ACTIVE', reason: 'PENDING_INITIAL_SCAN' });
    expect(await findings(stuck)).toEqual([]);
  });
});

describe('ListFindings', () => {
  it('reports the unpatched AL2023 base image with real CVEs in the AWS finding shape', async () => {
    // Prepare
    const instanceId = await launch();
    await elapse(env.clock, 10 * MINUTE);
    // Act
    const active = await findings(instanceId);
    const critical = await inspector().send(
      new ListFindingsCommand({ filterCriteria: { resourceId: [{ comparison: 'EQUALS', value: instanceId }], severity: [{ comparison: 'EQUALS', value: 'CRITICAL' }] } }),
    );
    // Assess
    expect(active).toHaveLength(25);
    expect([count(active, 'CRITICAL'), count(active, 'HIGH'), count(active, 'MEDIUM'), count(active, 'LOW'), count(active, 'UNTRIAGED')]).toEqual([3, 7, 12, 1, 2]);
    expect(critical.findings?.map((f) => f.packageVulnerabilityDetails?.vulnerabilityId).sort()).toEqual(['CVE-2024-45490', 'CVE-2024-45491', 'CVE-2024-45492']);
    const expat = active.find((f) => f.packageVulnerabilityDetails?.vulnerabilityId === 'CVE-2024-45490');
    expect(expat).toMatchObject({
      awsAccountId: TOOLING,
      type: 'PACKAGE_VULNERABILITY',
      title: 'CVE-2024-45490 - expat',
      severity: 'CRITICAL',
      status: 'ACTIVE',
      inspectorScore: 9.8,
      fixAvailable: 'YES',
      exploitAvailable: 'NO',
      packageVulnerabilityDetails: {
        source: 'AMAZON_CVE',
        sourceUrl: 'https://alas.aws.amazon.com/cve/html/CVE-2024-45490.html',
        referenceUrls: ['https://alas.aws.amazon.com/AL2023/ALAS-2024-759.html'],
        vulnerablePackages: [{ name: 'expat', version: '2.5.0', release: '1.amzn2023.0.3', epoch: 0, arch: 'x86_64', packageManager: 'OS', fixedInVersion: '0:2.6.3-1.amzn2023.0.1', remediation: 'dnf update expat' }],
      },
      resources: [{ type: 'AWS_EC2_INSTANCE', id: instanceId, partition: 'aws', region: REGION }],
    });
    expect(expat?.findingArn).toMatch(/^arn:aws:inspector2:eu-west-1:111111111111:finding\/[0-9a-f]{32}$/);
    const curl = active.find((f) => f.packageVulnerabilityDetails?.vulnerabilityId === 'CVE-2023-46218');
    expect(curl).toMatchObject({ title: 'CVE-2023-46218 - curl-minimal, libcurl-minimal', epss: { score: 0.00071 }, exploitAvailable: 'YES' });
  });

  it('dates each finding as the vendor feed does: vendorUpdatedAt is the day the fix shipped, movable on the virtual clock', async () => {
    // Prepare: the Ubuntu base (CVE-2024-6387, fixed by USN-6859-1 on 2024-07-01); on AL2023, CVE-2024-2961's fix
    // put 10 days before the clock, and CVE-2024-28182's 3 days (a remediation window's two sides)
    env.cloud.world.state.fixReleasedAt = { 'CVE-2024-2961': '2026-11-12', 'CVE-2024-28182': '2026-11-19' };
    const canonical = await ec2().send(new DescribeImagesCommand({ Owners: ['099720109477'], Filters: [{ Name: 'name', Values: ['ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20230115'] }] }));
    const ubuntu = await launch(canonical.Images?.[0]?.ImageId);
    const al2023 = await launch();
    await elapse(env.clock, 10 * MINUTE);
    // Act
    const byId = async (instanceId: string, id: string) => (await findings(instanceId)).find((f) => f.packageVulnerabilityDetails?.vulnerabilityId === id);
    const regreSSHion = await byId(ubuntu, 'CVE-2024-6387');
    const glibc = await byId(al2023, 'CVE-2024-2961');
    const nghttp2 = await byId(al2023, 'CVE-2024-28182');
    const curl = await byId(al2023, 'CVE-2023-46218');
    // Assess
    expect(regreSSHion).toMatchObject({
      fixAvailable: 'YES',
      packageVulnerabilityDetails: { source: 'UBUNTU_CVE', vendorCreatedAt: new Date('2024-07-01T00:00:00Z'), vendorUpdatedAt: new Date('2024-07-01T00:00:00Z') },
    });
    expect(glibc?.packageVulnerabilityDetails).toMatchObject({ vendorCreatedAt: new Date('2024-04-17T00:00:00Z'), vendorUpdatedAt: new Date('2026-11-12T00:00:00Z') });
    expect(nghttp2?.packageVulnerabilityDetails?.vendorUpdatedAt).toEqual(new Date('2026-11-19T00:00:00Z'));
    // Without an advisory date the fix is dated by the CVE's publication.
    expect(curl?.packageVulnerabilityDetails).toMatchObject({ vendorCreatedAt: new Date('2023-12-07T00:00:00Z'), vendorUpdatedAt: new Date('2023-12-07T00:00:00Z') });
    const daysSinceFix = (f: Finding | undefined) => Math.floor((env.clock.now() - (f?.packageVulnerabilityDetails?.vendorUpdatedAt?.getTime() ?? 0)) / 86_400_000);
    expect([daysSinceFix(glibc), daysSinceFix(nghttp2)]).toEqual([10, 3]);
  });

  it('closes findings when the OS update patches the instance, and an image baked from it scans clean', async () => {
    // Prepare
    const builder = await launch();
    await elapse(env.clock, 10 * MINUTE);
    const before = await findings(builder);
    // Act
    expect(await runToCompletion(builder, ['dnf -y update'])).toBe('Success');
    await elapse(env.clock, 30 * MINUTE);
    const stillActive = await findings(builder);
    const closed = await findings(builder, 'CLOSED');
    const created = await ec2().send(new CreateImageCommand({ InstanceId: builder, Name: 'web-base-5-test' }));
    await elapse(env.clock, 15 * MINUTE);
    const testInstance = await launch(created.ImageId);
    await elapse(env.clock, 10 * MINUTE);
    // Assess
    expect(before).toHaveLength(25);
    expect(stillActive).toEqual([]);
    expect(closed).toHaveLength(25);
    expect((await coverage(testInstance))[0].scanStatus?.reason).toBe('SUCCESSFUL');
    expect(await findings(testInstance)).toEqual([]);
  });

  it('a scan that fell due before a command patched the instance still reports what it saw then', async () => {
    // Prepare
    const instanceId = await launch();
    await elapse(env.clock, 10 * MINUTE);
    // Act: no Inspector call until after the patch; the first scan was due at 6 min 45 s.
    expect(await runToCompletion(instanceId, ['dnf -y upgrade --security'])).toBe('Success');
    const afterPatch = await findings(instanceId);
    await elapse(env.clock, 30 * MINUTE);
    const afterRescan = await findings(instanceId);
    // Assess
    expect(afterPatch).toHaveLength(25);
    expect(afterRescan).toEqual([]);
  });

  it('closes the findings of a terminated instance and drops it from coverage', async () => {
    // Prepare
    const instanceId = await launch();
    await elapse(env.clock, 10 * MINUTE);
    expect(await findings(instanceId)).toHaveLength(25);
    // Act
    await ec2().send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    await elapse(env.clock, 1 * MINUTE);
    // Assess
    expect(await coverage(instanceId)).toEqual([]);
    expect(await findings(instanceId)).toEqual([]);
    expect(await findings(instanceId, 'CLOSED')).toHaveLength(25);
  });

  it('pages with maxResults/nextToken, sorts, and refuses what the API refuses', async () => {
    // Prepare
    const instanceId = await launch();
    await elapse(env.clock, 10 * MINUTE);
    const filterCriteria = { resourceId: [{ comparison: 'EQUALS' as const, value: instanceId }] };
    // Act
    const first = await inspector().send(new ListFindingsCommand({ filterCriteria, maxResults: 20, sortCriteria: { field: 'INSPECTOR_SCORE', sortOrder: 'DESC' } }));
    const second = await inspector().send(new ListFindingsCommand({ filterCriteria, maxResults: 20, nextToken: first.nextToken, sortCriteria: { field: 'INSPECTOR_SCORE', sortOrder: 'DESC' } }));
    const details = await inspector().send(new BatchGetFindingDetailsCommand({ findingArns: [first.findings?.[0]?.findingArn ?? '', 'arn:aws:inspector2:eu-west-1:111111111111:finding/0'] }));
    // Assess
    expect(first.findings).toHaveLength(20);
    expect(second.findings).toHaveLength(5);
    expect(second.nextToken).toBeUndefined();
    expect(first.findings?.[0]?.inspectorScore).toBe(9.8);
    expect(details.findingDetails?.[0]).toMatchObject({ findingArn: first.findings?.[0]?.findingArn, referenceUrls: expect.any(Array) });
    expect(details.errors?.[0]?.errorCode).toBe('FINDING_DETAILS_NOT_FOUND');
    await expect(inspector().send(new ListFindingsCommand({ maxResults: 101 }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(inspector().send(new ListFindingsCommand({ nextToken: 'garbage' }))).rejects.toMatchObject({ name: 'InvalidNextToken' });
  });
});
