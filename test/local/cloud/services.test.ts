import { DescribeImagesCommand, DescribeLaunchTemplatesCommand } from '@aws-sdk/client-ec2';
import { CreateGrantCommand, DescribeKeyCommand } from '@aws-sdk/client-kms';
import { CreateTopicCommand, InvalidParameterValueException, PublishCommand } from '@aws-sdk/client-sns';
import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
} from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { AL2023_PARAMETER, clients, credentialsOf, elapse, PROD, STAGING, startExampleCloud, TOOLING, type Credentials, type ExampleCloud } from './cloud-fixture';

let env: ExampleCloud;

beforeEach(async () => {
  env = await startExampleCloud();
});
afterEach(async () => {
  await env.cloud.stop();
});

async function assumeUpdater(account: string, durationSeconds?: number): Promise<Credentials> {
  const out = await clients.sts('eu-west-1').send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${account}:role/GamiLaunchTemplateUpdater`,
      RoleSessionName: 'gami-web-base',
      ExternalId: 'gami-web-base',
      DurationSeconds: durationSeconds,
    }),
  );
  return { accessKeyId: out.Credentials?.AccessKeyId ?? '', secretAccessKey: out.Credentials?.SecretAccessKey ?? '', sessionToken: out.Credentials?.SessionToken };
}

describe('STS', () => {
  it('AssumeRole hands out credentials bound to the target account', async () => {
    // Act
    const credentials = await assumeUpdater(PROD);
    const identity = await clients.sts('eu-west-1', credentials).send(new GetCallerIdentityCommand({}));
    const templates = await clients.ec2('eu-west-1', credentials).send(new DescribeLaunchTemplatesCommand({}));

    // Assess
    expect(identity).toMatchObject({ Account: PROD, Arn: 'arn:aws:sts::222222222222:assumed-role/GamiLaunchTemplateUpdater/gami-web-base' });
    expect(templates.LaunchTemplates?.map((t) => t.LaunchTemplateName)).toEqual(['web-prod']);
  });

  it('refuses roles that do not exist or do not trust the caller, and expires credentials on the clock', async () => {
    const fromProd = clients.sts('eu-west-1', credentialsOf(PROD));

    const missing = await clients.sts('eu-west-1').send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::222222222222:role/Nope', RoleSessionName: 's1' })).catch((e: unknown) => e);
    // Staging's role trusts the tooling account only.
    const untrusted = await fromProd.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${STAGING}:role/GamiLaunchTemplateUpdater`, RoleSessionName: 's2' })).catch((e: unknown) => e);
    const credentials = await assumeUpdater(STAGING, 900);
    await elapse(env.clock, 901_000);
    const expired = await clients.sts('eu-west-1', credentials).send(new GetCallerIdentityCommand({})).catch((e: unknown) => e);

    expect(missing).toMatchObject({ name: 'AccessDenied', $metadata: expect.objectContaining({ httpStatusCode: 403 }) });
    expect(untrusted).toMatchObject({ name: 'AccessDenied' });
    expect(expired).toMatchObject({ name: 'ExpiredTokenException' });
  });
});

describe('KMS', () => {
  it('describes keys by alias and ARN, cross-account only where the key policy allows, and creates grants idempotently by name', async () => {
    const kms = clients.kms('eu-central-1');

    const byAlias = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/gami-ami' }));
    const arn = byAlias.KeyMetadata?.Arn ?? '';
    const fromProd = await clients.kms('eu-central-1', credentialsOf(PROD)).send(new DescribeKeyCommand({ KeyId: arn }));
    const grant = { KeyId: arn, GranteePrincipal: 'arn:aws:iam::222222222222:root', Operations: ['Decrypt' as const, 'CreateGrant' as const], Name: 'gami-prod' };
    const first = await kms.send(new CreateGrantCommand(grant));
    const again = await kms.send(new CreateGrantCommand(grant));
    const unknown = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/nope' })).catch((e: unknown) => e);

    expect(byAlias.KeyMetadata).toMatchObject({ AWSAccountId: TOOLING, KeyManager: 'CUSTOMER', KeyState: 'Enabled', Enabled: true });
    expect(arn).toMatch(/^arn:aws:kms:eu-central-1:111111111111:key\/[0-9a-f-]{36}$/);
    expect(fromProd.KeyMetadata?.KeyId).toBe(byAlias.KeyMetadata?.KeyId);
    expect(again.GrantId).toBe(first.GrantId);
    expect(unknown).toMatchObject({ name: 'NotFoundException' });
  });
});

describe('SNS', () => {
  it('publishes into the local mailbox with subject and message attributes', async () => {
    const topicArn = 'arn:aws:sns:eu-west-1:111111111111:gami-notifications';

    const out = await clients.sns('eu-west-1').send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: 'web-base 5 awaits approval',
        Message: 'Image ami-1 passed the scan gate.',
        MessageAttributes: { pipeline: { DataType: 'String', StringValue: 'web-base' }, version: { DataType: 'Number', StringValue: '5' } },
      }),
    );
    const missing = await clients.sns('eu-west-1').send(new PublishCommand({ TopicArn: 'arn:aws:sns:eu-west-1:111111111111:nope', Message: 'x' })).catch((e: unknown) => e);

    expect(env.cloud.mailbox(topicArn)).toEqual([
      expect.objectContaining({
        messageId: out.MessageId,
        subject: 'web-base 5 awaits approval',
        message: 'Image ami-1 passed the scan gate.',
        messageAttributes: { pipeline: { DataType: 'String', StringValue: 'web-base' }, version: { DataType: 'Number', StringValue: '5' } },
        timestamp: env.clock.now(),
      }),
    ]);
    expect(missing).toMatchObject({ name: 'NotFoundException' });
  });

  it('validates message attributes as SNS does', async () => {
    const sns = clients.sns('eu-west-1');
    const topicArn = 'arn:aws:sns:eu-west-1:111111111111:gami-notifications';

    const badType = await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'x', MessageAttributes: { a: { DataType: 'Text', StringValue: 'v' } } })).catch((e: unknown) => e);
    const badNumber = await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'x', MessageAttributes: { n: { DataType: 'Number', StringValue: 'five' } } })).catch((e: unknown) => e);

    expect(badType).toBeInstanceOf(InvalidParameterValueException);
    expect(badNumber).toMatchObject({ name: 'InvalidParameterValueException' });
    expect(env.cloud.mailbox()).toEqual([]);
  });

  it('creates topics idempotently and refuses publishing across regions', async () => {
    const sns = clients.sns('us-east-1');

    const created = await sns.send(new CreateTopicCommand({ Name: 'gami-alerts' }));
    const again = await sns.send(new CreateTopicCommand({ Name: 'gami-alerts' }));
    const crossRegion = await clients.sns('eu-west-1').send(new PublishCommand({ TopicArn: created.TopicArn, Message: 'x' })).catch((e: unknown) => e);
    await sns.send(new PublishCommand({ TopicArn: created.TopicArn, Message: 'hello' }));

    expect(created.TopicArn).toBe('arn:aws:sns:us-east-1:111111111111:gami-alerts');
    expect(again.TopicArn).toBe(created.TopicArn);
    expect(crossRegion).toMatchObject({ name: 'InvalidParameterException' });
    expect(env.cloud.mailbox(created.TopicArn).map((m) => m.message)).toEqual(['hello']);
  });
});

describe('SSM Parameter Store', () => {
  it('resolves the public Amazon Linux 2023 parameter per region to an Amazon image', async () => {
    const ids: string[] = [];
    for (const region of ['eu-west-1', 'eu-central-1', 'us-east-1']) {
      const parameter = await clients.ssm(region).send(new GetParameterCommand({ Name: AL2023_PARAMETER }));
      const image = await clients.ec2(region).send(new DescribeImagesCommand({ ImageIds: [parameter.Parameter?.Value ?? ''] }));
      expect(parameter.Parameter).toMatchObject({ DataType: 'aws:ec2:image', ARN: `arn:aws:ssm:${region}::parameter${AL2023_PARAMETER}` });
      expect(image.Images?.[0]).toMatchObject({ ImageOwnerAlias: 'amazon', Name: 'al2023-ami-2023.3.20240312.0-kernel-6.1-x86_64' });
      ids.push(parameter.Parameter?.Value ?? '');
    }
    expect(new Set(ids).size).toBe(3);
  });

  it('puts versions, refuses overwrites without Overwrite and invalid image ids, reads by version selector', async () => {
    const ssm = clients.ssm('eu-west-1');
    const v4 = Object.values(env.cloud.world.region(TOOLING, 'eu-west-1').images).find((i) => i.tags['gami:version'] === '4')?.imageId ?? '';
    const v3 = Object.values(env.cloud.world.region(TOOLING, 'eu-west-1').images).find((i) => i.tags['gami:version'] === '3')?.imageId ?? '';

    const put = await ssm.send(new PutParameterCommand({ Name: '/golden/web-base/latest', Value: v3, Type: 'String', DataType: 'aws:ec2:image', Overwrite: true }));
    const refused = await ssm.send(new PutParameterCommand({ Name: '/golden/web-base/latest', Value: v4, Type: 'String' })).catch((e: unknown) => e);
    const invalid = await ssm.send(new PutParameterCommand({ Name: '/golden/x', Value: 'ami-0123456789abcdef0', Type: 'String', DataType: 'aws:ec2:image' })).catch((e: unknown) => e);
    const reserved = await ssm.send(new PutParameterCommand({ Name: '/aws/mine', Value: 'x', Type: 'String' })).catch((e: unknown) => e);
    const previous = await ssm.send(new GetParameterCommand({ Name: '/golden/web-base/latest:1' }));
    const both = await ssm.send(new GetParametersCommand({ Names: ['/golden/web-base/latest', '/nope'] }));
    const missing = await ssm.send(new GetParameterCommand({ Name: '/nope' })).catch((e: unknown) => e);

    expect(put).toEqual(expect.objectContaining({ Version: 2, Tier: 'Standard' }));
    expect(refused).toBeInstanceOf(ParameterAlreadyExists);
    expect(invalid).toMatchObject({ name: 'ValidationException' });
    expect(reserved).toMatchObject({ name: 'ValidationException' });
    expect(previous.Parameter).toMatchObject({ Value: v4, Version: 1, Selector: ':1' });
    expect(both.Parameters?.map((p) => p.Value)).toEqual([v3]);
    expect(both.InvalidParameters).toEqual(['/nope']);
    expect(missing).toBeInstanceOf(ParameterNotFound);
  });

  it('lists parameters by path, one level or recursively, and deletes them', async () => {
    const ssm = clients.ssm('eu-west-1');
    await ssm.send(new PutParameterCommand({ Name: '/golden/web-base/approved-by', Value: 'alice', Type: 'String' }));
    await ssm.send(new PutParameterCommand({ Name: '/golden/api-base/latest', Value: 'ami-x', Type: 'String' }));

    const oneLevel = await ssm.send(new GetParametersByPathCommand({ Path: '/golden/web-base' }));
    const recursive = await ssm.send(new GetParametersByPathCommand({ Path: '/golden', Recursive: true, MaxResults: 2 }));
    const publicAl2023 = await ssm.send(new GetParametersByPathCommand({ Path: '/aws/service/ami-amazon-linux-latest' }));
    await ssm.send(new DeleteParameterCommand({ Name: '/golden/api-base/latest' }));
    const deletedAgain = await ssm.send(new DeleteParameterCommand({ Name: '/golden/api-base/latest' })).catch((e: unknown) => e);

    expect(oneLevel.Parameters?.map((p) => p.Name)).toEqual(['/golden/web-base/approved-by', '/golden/web-base/latest']);
    expect(recursive.Parameters?.map((p) => p.Name)).toEqual(['/golden/api-base/latest', '/golden/web-base/approved-by']);
    expect(recursive.NextToken).toBeDefined();
    expect(publicAl2023.Parameters?.map((p) => p.Name)).toContain(AL2023_PARAMETER);
    expect(deletedAgain).toBeInstanceOf(ParameterNotFound);
  });
});
