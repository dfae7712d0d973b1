/**
 * SNS: Publish into the local mailbox (`world.state.mailbox`, read with `mailbox()` in `local/cloud/index.ts`),
 * message attributes kept; CreateTopic so a runtime can create what CDK would have.
 */
import type { CreateTopicCommandInput, CreateTopicCommandOutput, PublishCommandInput, PublishCommandOutput } from '@aws-sdk/client-sns';
import { fail } from '../errors';
import type { Operation } from '../operations';
import type { SnsMessage } from '../world';

const TOPIC_ARN = /^arn:aws:sns:([a-z0-9-]+):(\d{12}):([\w-]{1,256}(\.fifo)?)$/;
const MAX_MESSAGE_BYTES = 256 * 1024;

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
  const messageId = ctx.world.nextUuid();
  ctx.world.state.mailbox.push({
    messageId,
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

export const snsOperations = {
  Publish: publish,
  CreateTopic: createTopic,
};
