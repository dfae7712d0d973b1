/**
 * SNS: Publish into the local mailbox (`world.state.mailbox`, read with `mailbox()` in `local/cloud/index.ts`),
 * message attributes kept, and the endpoints of the topic's subscriptions whose filter policy lets it through
 * (`deliveredTo`); Subscribe (email subscriptions confirmed at once, FilterPolicy on message attributes) and
 * ListSubscriptionsByTopic; CreateTopic so a runtime can create what CDK would have.
 */
import type {
  CreateTopicCommandInput,
  CreateTopicCommandOutput,
  ListSubscriptionsByTopicCommandInput,
  ListSubscriptionsByTopicCommandOutput,
  PublishCommandInput,
  PublishCommandOutput,
  SubscribeCommandInput,
  SubscribeCommandOutput,
} from '@aws-sdk/client-sns';
import { filterPolicyProblem, matchesFilterPolicy } from '../sns-filter';
import { fail } from '../errors';
import type { Operation } from '../operations';
import type { SnsMessage, World } from '../world';

const TOPIC_ARN = /^arn:aws:sns:([a-z0-9-]+):(\d{12}):([\w-]{1,256}(\.fifo)?)$/;
const MAX_MESSAGE_BYTES = 256 * 1024;

type Topic = NonNullable<ReturnType<World['region']>['topics'][string]>;

/** Put a message into the mailbox for the topic's subscribers whose filter policy matches. Returns its id. */
function deliver(world: World, topic: Topic, message: Omit<SnsMessage, 'messageId' | 'deliveredTo'>): string {
  const messageId = world.nextUuid();
  const subscriptions = topic.subscriptions ?? [];
  const deliveredTo = subscriptions.filter((s) => !s.filterPolicy || matchesFilterPolicy(s.filterPolicy, message.messageAttributes)).map((s) => s.endpoint);
  world.state.mailbox.push({ ...(subscriptions.length > 0 ? { deliveredTo } : {}), messageId, ...message });
  return messageId;
}

/**
 * A message an AWS service publishes to a topic of the account (a CloudWatch alarm's action): delivered as Publish
 * would. False when the topic does not exist (the service drops the notification).
 */
export function deliverToTopic(world: World, topicArn: string, message: { subject?: string; message: string; timestamp: number }): boolean {
  const match = TOPIC_ARN.exec(topicArn);
  if (!match) return false;
  const [, region, accountId, name] = match;
  const topic = world.hasAccount(accountId) ? world.region(accountId, region).topics[name] : undefined;
  if (!topic) return false;
  deliver(world, topic, { topicArn, accountId, region, subject: message.subject, message: message.message, messageAttributes: {}, timestamp: message.timestamp });
  return true;
}

export const publish: Operation<PublishCommandInput, PublishCommandOutput> = async (ctx, input) => {
  const arn = input.TopicArn ?? input.TargetArn;
  if (!arn) fail('InvalidParameter', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
  const match = TOPIC_ARN.exec(arn);
  if (!match) fail('InvalidParameter', 'Invalid parameter: TopicArn');
  const [, region, accountId, name, fifo] = match;
  if (region !== ctx.region) fail('InvalidParameter', `Invalid parameter: TopicArn Reason: A ARN must have the same region as the client (${ctx.region})`);
  const topic = ctx.world.hasAccount(accountId) ? ctx.world.region(accountId, region).topics[name] : undefined;
  if (!topic) fail('NotFound', 'Topic does not exist', { httpStatusCode: 404 });
  if (accountId !== ctx.account) fail('AuthorizationError', `User: ${ctx.callerArn} is not authorized to perform: SNS:Publish on resource: ${arn}`, { httpStatusCode: 403 });
  if (input.Message === undefined || input.Message === '') fail('InvalidParameter', 'Invalid parameter: Message Reason: Empty message');
  if (Buffer.byteLength(input.Message, 'utf8') > MAX_MESSAGE_BYTES) fail('InvalidParameter', 'Invalid parameter: Message too long');
  if (input.Subject !== undefined && (input.Subject.length === 0 || input.Subject.length > 100 || /[\r\n]/.test(input.Subject))) {
    fail('InvalidParameter', 'Invalid parameter: Subject');
  }
  if (fifo && !input.MessageGroupId) fail('InvalidParameter', 'Invalid parameter: The MessageGroupId parameter is required for FIFO topics');
  if (input.MessageStructure === 'json') {
    try {
      const parsed = JSON.parse(input.Message) as Record<string, unknown>;
      if (typeof parsed.default !== 'string') throw new Error('default');
    } catch {
      fail('InvalidParameter', "Invalid parameter: Message Structure - No default entry in JSON message body");
    }
  }
  const attributes: SnsMessage['messageAttributes'] = {};
  for (const [key, value] of Object.entries(input.MessageAttributes ?? {})) {
    if (!value.DataType) fail('ParameterValueInvalid', `The message attribute '${key}' must contain non-empty message attribute type.`);
    if (!/^(String|Number|Binary)(\..+)?$/.test(value.DataType)) {
      fail('ParameterValueInvalid', `The message attribute '${key}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`);
    }
    const binary = value.DataType.startsWith('Binary');
    if (binary ? !value.BinaryValue : value.StringValue === undefined) {
      fail('ParameterValueInvalid', `The message attribute '${key}' must contain non-empty message attribute value for message attribute type '${value.DataType}'.`);
    }
    if (value.DataType.startsWith('Number') && !Number.isFinite(Number(value.StringValue))) {
      fail('ParameterValueInvalid', `Could not cast message attribute '${key}' value to number.`);
    }
    attributes[key] = {
      DataType: value.DataType,
      StringValue: value.StringValue,
      BinaryValue: value.BinaryValue ? Buffer.from(value.BinaryValue).toString('base64') : undefined,
    };
  }
  const messageId = deliver(ctx.world, topic, {
    topicArn: arn,
    accountId,
    region,
    subject: input.Subject,
    message: input.Message,
    messageStructure: input.MessageStructure,
    messageAttributes: attributes,
    messageGroupId: input.MessageGroupId,
    messageDeduplicationId: input.MessageDeduplicationId,
    timestamp: ctx.clock.now(),
  });
  return fifo ? { MessageId: messageId, SequenceNumber: String(ctx.world.state.mailbox.length).padStart(20, '0') } : { MessageId: messageId };
};

export const createTopic: Operation<CreateTopicCommandInput, CreateTopicCommandOutput> = async (ctx, input) => {
  const name = input.Name ?? fail('InvalidParameter', 'Invalid parameter: Name');
  if (!/^[\w-]{1,256}(\.fifo)?$/.test(name)) fail('InvalidParameter', 'Invalid parameter: Topic Name');
  const arn = `arn:aws:sns:${ctx.region}:${ctx.account}:${name}`;
  ctx.regionState.topics[name] ??= { arn, name };
  return { TopicArn: arn };
};

function topicOf(ctx: Parameters<typeof publish>[0], arn: string | undefined) {
  const match = arn ? TOPIC_ARN.exec(arn) : null;
  if (!match) fail('InvalidParameter', 'Invalid parameter: TopicArn');
  const [, region, accountId, name] = match;
  const topic = region === ctx.region && accountId === ctx.account ? ctx.regionState.topics[name] : undefined;
  if (!topic) fail('NotFound', 'Topic does not exist', { httpStatusCode: 404 });
  return topic;
}

export const subscribe: Operation<SubscribeCommandInput, SubscribeCommandOutput> = async (ctx, input) => {
  const topic = topicOf(ctx, input.TopicArn);
  if (input.Protocol !== 'email' && input.Protocol !== 'email-json') fail('InvalidParameter', `Invalid parameter: Protocol (only email is simulated, got ${input.Protocol})`);
  const endpoint = input.Endpoint ?? fail('InvalidParameter', 'Invalid parameter: Endpoint');
  if (!/^[^@\s]+@[^@\s]+$/.test(endpoint)) fail('InvalidParameter', 'Invalid parameter: Email address');
  let filterPolicy: Record<string, unknown> | undefined;
  const attributes = input.Attributes ?? {};
  if (attributes.FilterPolicyScope && attributes.FilterPolicyScope !== 'MessageAttributes') fail('InvalidParameter', 'Invalid parameter: FilterPolicyScope (only MessageAttributes is simulated)');
  if (attributes.FilterPolicy !== undefined) {
    try {
      filterPolicy = JSON.parse(attributes.FilterPolicy) as Record<string, unknown>;
    } catch {
      fail('InvalidParameter', 'Invalid parameter: FilterPolicy: failed to parse JSON');
    }
    const problem = filterPolicyProblem(filterPolicy);
    if (problem) fail('InvalidParameter', `Invalid parameter: FilterPolicy: ${problem}`);
  }
  topic.subscriptions ??= [];
  // Subscribing the same endpoint again returns the existing subscription (with the new filter policy).
  const existing = topic.subscriptions.find((s) => s.protocol === input.Protocol && s.endpoint === endpoint);
  if (existing) {
    existing.filterPolicy = filterPolicy;
    return { SubscriptionArn: existing.subscriptionArn };
  }
  const subscriptionArn = `${topic.arn}:${ctx.world.nextUuid()}`;
  topic.subscriptions.push({ subscriptionArn, protocol: input.Protocol, endpoint, filterPolicy });
  return { SubscriptionArn: subscriptionArn };
};

export const listSubscriptionsByTopic: Operation<ListSubscriptionsByTopicCommandInput, ListSubscriptionsByTopicCommandOutput> = async (ctx, input) => {
  const topic = topicOf(ctx, input.TopicArn);
  return {
    Subscriptions: (topic.subscriptions ?? []).map((s) => ({ SubscriptionArn: s.subscriptionArn, Protocol: s.protocol, Endpoint: s.endpoint, TopicArn: topic.arn, Owner: ctx.account })),
  };
};

export const snsOperations = {
  Subscribe: subscribe,
  ListSubscriptionsByTopic: listSubscriptionsByTopic,
  Publish: publish,
  CreateTopic: createTopic,
};
