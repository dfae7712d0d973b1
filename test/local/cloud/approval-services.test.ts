/**
 * The simulated services the approval stage needs: Secrets Manager (the signing key) and SNS subscriptions with
 * filter policies (one email per approver), plus the filter-policy semantics themselves.
 */
import { CreateSecretCommand, GetSecretValueCommand, ResourceExistsException, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, InvalidParameterException, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { matchesFilterPolicy, filterPolicyProblem } from '../../../local/cloud/sns-filter';
import { createClient } from '../../../tasks/clients';
import { clients, credentialsOf, startExampleCloud, TOOLING, type ExampleCloud } from './cloud-fixture';

let env: ExampleCloud;
beforeEach(async () => {
  env = await startExampleCloud();
});
afterEach(async () => {
  await env.cloud.stop();
});

const secrets = () => createClient(SecretsManagerClient, { region: 'eu-west-1', credentials: credentialsOf(TOOLING) });

describe('Secrets Manager', () => {
  it('creates a generated secret and reads it by name, full ARN and partial ARN; refuses a duplicate and an unknown one', async () => {
    const created = await secrets().send(new CreateSecretCommand({ Name: 'gami-web-base-approval-signing-key' }));
    expect(created.ARN).toMatch(/^arn:aws:secretsmanager:eu-west-1:111111111111:secret:gami-web-base-approval-signing-key-[A-Za-z0-9]{6}$/);

    const byName = await secrets().send(new GetSecretValueCommand({ SecretId: 'gami-web-base-approval-signing-key' }));
    const byArn = await secrets().send(new GetSecretValueCommand({ SecretId: created.ARN }));
    const byPartial = await secrets().send(new GetSecretValueCommand({ SecretId: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:gami-web-base-approval-signing-key' }));

    expect(byName.SecretString).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(byArn.SecretString).toBe(byName.SecretString);
    expect(byPartial.SecretString).toBe(byName.SecretString);
    await expect(secrets().send(new CreateSecretCommand({ Name: 'gami-web-base-approval-signing-key' }))).rejects.toBeInstanceOf(ResourceExistsException);
    await expect(secrets().send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('SNS subscriptions', () => {
  it('delivers each message to the subscriptions whose filter policy lets it through', async () => {
    const sns = clients.sns('eu-west-1');
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'approvals' }));
    const subscribe = (endpoint: string, policy: unknown) => sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: endpoint, Attributes: { FilterPolicy: JSON.stringify(policy) } }));
    await subscribe('alice@example.com', { approver: ['alice@example.com'] });
    await subscribe('bob@example.com', { approver: ['bob@example.com'] });
    await subscribe('team@example.com', { approver: [{ exists: false }] });

    await sns.send(new PublishCommand({ TopicArn, Message: 'for alice', MessageAttributes: { approver: { DataType: 'String', StringValue: 'alice@example.com' } } }));
    await sns.send(new PublishCommand({ TopicArn, Message: 'run failed' }));

    const delivered = env.cloud.mailbox(TopicArn).map((m) => [m.message, m.deliveredTo]);
    expect(delivered).toEqual([
      ['for alice', ['alice@example.com']],
      ['run failed', ['team@example.com']],
    ]);
  });

  it('refuses a filter policy it cannot evaluate (never matches it silently)', async () => {
    const sns = clients.sns('eu-west-1');
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'approvals' }));
    await expect(
      sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'a@example.com', Attributes: { FilterPolicy: '{"price":[{"numeric":[">",1]}]}' } })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });
});

describe('filter policy semantics', () => {
  const attrs = (approver?: string): Record<string, { DataType: string; StringValue?: string }> => (approver ? { approver: { DataType: 'String', StringValue: approver } } : {});

  it.each([
    [{ approver: ['a@x'] }, attrs('a@x'), true],
    [{ approver: ['a@x'] }, attrs('b@x'), false],
    [{ approver: ['a@x'] }, attrs(), false],
    [{ approver: [{ exists: false }] }, attrs(), true],
    [{ approver: [{ exists: false }] }, attrs('a@x'), false],
    [{ approver: ['a@x', { exists: false }] }, attrs(), true],
    [{ approver: ['a@x', { exists: false }] }, attrs('a@x'), true],
    [{ approver: ['a@x', { exists: false }] }, attrs('b@x'), false],
    [{ approver: [{ prefix: 'a' }] }, attrs('a@x'), true],
    [{ approver: [{ 'anything-but': ['a@x'] }] }, attrs('b@x'), true],
    [{ approver: [{ 'anything-but': ['a@x'] }] }, attrs(), false],
    [{ $or: [{ approver: ['a@x'] }, { approver: [{ exists: false }] }] }, attrs(), true],
  ])('%j with %j → %s', (policy, attributes, expected) => {
    expect(filterPolicyProblem(policy)).toBeUndefined();
    expect(matchesFilterPolicy(policy as Record<string, unknown>, attributes)).toBe(expected);
  });
});
