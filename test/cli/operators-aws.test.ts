/**
 * The operator commands against AWS (no --local): the same code path as the deployed stacks, with the SDK
 * mocked at the client (aws-sdk-client-mock). The state machine is found by the stack's naming; requestedBy
 * defaults to the caller's identity; service errors end as one line, exit 2.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  DescribeImageAttributeCommand,
  DescribeImageReferencesCommand,
  DescribeImagesCommand,
  DescribeLaunchTemplatesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { main, type Io } from '../../bin/cli';
import type { ImagesReport } from '../../bin/images';

const sfn = mockClient(SFNClient);
const sts = mockClient(STSClient);
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:gami-web-base';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:gami-web-base:run-1';

function capture(): { io: Io; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l) => out.push(l), err: (l) => err.push(l) }, out, err };
}

beforeEach(() => {
  sfn.reset();
  sts.reset();
  sfn.on(ListStateMachinesCommand).resolves({ stateMachines: [{ name: 'gami-web-base', stateMachineArn: MACHINE, type: 'STANDARD', creationDate: new Date() }] });
});

it('start: finds the state machine by the stack naming and starts it with the reason and the caller as requestedBy', async () => {
  sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:iam::123456789012:user/alice', Account: '123456789012' });
  sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
  const { io, out } = capture();

  expect(await main(['start', 'web-base', '--region', 'eu-west-1', '--reason', 'CVE-2026-1234 fix'], io)).toBe(0);

  expect(out).toEqual([`started ${EXECUTION}`]);
  expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
    stateMachineArn: MACHINE,
    input: JSON.stringify({ reason: 'CVE-2026-1234 fix', requestedBy: 'arn:aws:iam::123456789012:user/alice' }),
  });
});

it('executions and status: the service answers, the same lines as locally', async () => {
  const start = new Date('2026-11-22T09:00:00Z');
  const stop = new Date('2026-11-22T09:32:40Z');
  sfn.on(ListExecutionsCommand).resolves({ executions: [{ executionArn: EXECUTION, stateMachineArn: MACHINE, name: 'run-1', status: 'FAILED', startDate: start, stopDate: stop }] });
  sfn.on(DescribeExecutionCommand).resolves({
    executionArn: EXECUTION,
    stateMachineArn: MACHINE,
    name: 'run-1',
    status: 'FAILED',
    startDate: start,
    stopDate: stop,
    input: '{"reason":"monthly","requestedBy":"bob"}',
    error: 'ScanGateFailed',
    cause: 'CRITICAL: 2 findings > 0 allowed',
  });
  sfn.on(GetExecutionHistoryCommand).resolves({ events: [{ id: 9, type: 'FailStateEntered', timestamp: stop, stateEnteredEventDetails: { name: 'Failed' } }] });
  const list = capture();
  const one = capture();

  expect(await main(['executions', 'web-base'], list.io)).toBe(0);
  expect(await main(['status', 'run-1', '--format', 'json'], one.io)).toBe(0);

  expect(list.out).toEqual(['run-1  FAILED     2026-11-22 09:00:00Z      32m 40s  ScanGateFailed  (bob: monthly)']);
  expect(JSON.parse(one.out.join('\n'))).toMatchObject({ status: 'FAILED', state: 'Failed', error: 'ScanGateFailed', durationSeconds: 1960 });
});

it('an AWS error is one line naming it, exit 2, no stack trace', async () => {
  sfn.on(ListStateMachinesCommand).rejects(Object.assign(new Error('User is not authorized to perform: states:ListStateMachines'), { name: 'AccessDeniedException', $metadata: {} }));
  const { io, err } = capture();
  expect(await main(['executions', 'web-base'], io)).toBe(2);
  expect(err).toEqual(['error: AWS: AccessDeniedException: User is not authorized to perform: states:ListStateMachines']);
});

describe('gami images against AWS', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const ec2 = mockClient(EC2Client);
  const autoScaling = mockClient(AutoScalingClient);
  const ssm = mockClient(SSMClient);
  const SOURCE = 'ami-0aaaaaaaaaaaaaaa1';
  const COPY = 'ami-0bbbbbbbbbbbbbbb2';
  afterAll(() => {
    ddb.restore();
    ec2.restore();
    autoScaling.restore();
    ssm.restore();
  });

  it('every copy from EC2 with its shares and uses; a consumer account it may not read is named, not guessed', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/ops' });
    sts.on(AssumeRoleCommand).rejects(Object.assign(new Error('not authorized to perform sts:AssumeRole'), { name: 'AccessDenied', $metadata: {} }));
    ddb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) =>
      input.ExpressionAttributeValues[':prefix'] === 'IMAGE#'
        ? { Items: [{ pk: 'PIPELINE#web-base', sk: 'IMAGE#000007', version: 7, status: 'approved', imageId: SOURCE, createdAt: '2026-11-20T09:00:00.000Z' }] }
        : { Items: [] },
    );
    const image = (imageId: string, region: string) => ({
      ImageId: imageId,
      CreationDate: '2026-11-20T09:00:00.000Z',
      DeregistrationProtection: 'enabled',
      Tags: [
        { Key: 'gami:pipeline', Value: 'web-base' },
        { Key: 'gami:version', Value: '7' },
        { Key: 'gami:status', Value: 'approved' },
        ...(region === 'eu-west-1' ? [] : [{ Key: 'gami:source-image', Value: SOURCE }, { Key: 'gami:source-region', Value: 'eu-west-1' }]),
      ],
    });
    ec2.on(DescribeImagesCommand).callsFake(async (_input, getClient) => {
      const region = await (getClient() as EC2Client).config.region();
      return { Images: region === 'eu-west-1' ? [image(SOURCE, region)] : region === 'us-east-1' ? [image(COPY, region)] : [] };
    });
    ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [] });
    ec2.on(DescribeImageReferencesCommand).callsFake((input: { ImageIds: string[] }) => ({
      ImageReferences: input.ImageIds.includes(SOURCE)
        ? [{ ImageId: SOURCE, ResourceType: 'ssm:Parameter', Arn: 'arn:aws:ssm:eu-west-1:123456789012:parameter/golden/web-base/latest' }]
        : [],
    }));
    ec2.on(DescribeImageAttributeCommand).resolves({ LaunchPermissions: [{ UserId: '222222222222' }, { OrganizationArn: 'arn:aws:organizations::123456789012:organization/o-abc123' }] });
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: SOURCE } });
    const { io, out } = capture();

    expect(await main(['images', 'web-base', '--region', 'eu-west-1', '--format', 'json'], io)).toBe(0);

    const report = JSON.parse(out.join('\n')) as ImagesReport;
    expect(report.versions).toHaveLength(1);
    expect(report.versions[0]).toMatchObject({ version: 7, imageId: SOURCE, status: 'approved' });
    const [source, copy] = report.versions[0].copies;
    expect(source).toMatchObject({
      region: 'eu-west-1',
      account: '123456789012',
      imageId: SOURCE,
      source: true,
      protected: true,
      sharedWith: ['222222222222', 'arn:aws:organizations::123456789012:organization/o-abc123'],
      inUseBy: ['SSM parameter /golden/web-base/latest'],
    });
    expect(copy).toMatchObject({ region: 'us-east-1', imageId: COPY, source: false, inUseBy: [] });
    // The consumer accounts' references: the operator's credentials may not assume their role — said, per copy.
    expect(source.notRead).toEqual([
      'references in account 222222222222 (role gami-web-base-reader): AccessDenied: not authorized to perform sts:AssumeRole',
      'references in account 333333333333 (role gami-web-base-reader): AccessDenied: not authorized to perform sts:AssumeRole',
    ]);
    expect(ec2).toHaveReceivedCommandWith(DescribeImagesCommand, { Owners: ['self'], Filters: [{ Name: 'tag:gami:pipeline', Values: ['web-base'] }] });
    // A person reads consumer accounts through the read-only reader role, never the updater role.
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, { RoleArn: 'arn:aws:iam::222222222222:role/gami-web-base-reader', ExternalId: 'gami-web-base' });

    const text = capture();
    expect(await main(['images', 'web-base', '--region', 'eu-west-1'], text.io)).toBe(0);
    expect(text.out[0]).toMatch(new RegExp(`^v7 ${SOURCE}: approved, [\\d.]+ days old; no package inventory recorded$`));
    expect(text.out[1]).toMatch(
      new RegExp(`^ {2}eu-west-1 \\(source\\) +123456789012 +${SOURCE} +approved +protected +shared with 222222222222, arn:aws:organizations::123456789012:organization/o-abc123 +in use by: SSM parameter /golden/web-base/latest \\(maybe more: 2 reading\\(s\\) failed, below\\)$`),
    );
    expect(text.out).toContain('not read, so a copy there may be in use: eu-west-1: references in account 222222222222 (role gami-web-base-reader): AccessDenied: not authorized to perform sts:AssumeRole');
    expect(text.out).toContain(
      'to read consumer accounts, deploy GamiTargetAccountStack there with -c readers=<your role ARN> (it creates gami-web-base-reader; docs/target-account.md)',
    );
  });
});
