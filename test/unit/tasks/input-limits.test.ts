/**
 * Execution input refused at the door (issue 8 §5): prototype keys, deep nesting, long strings and large
 * input each end as InvalidExecutionInput naming the field, through the prepare handler, before any AWS call.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { EXECUTION_INPUT_LIMITS, inputLimitViolation } from '../../../tasks/common/input-limits';
import { handler } from '../../../tasks/prepare/handler';
import { parseExecutionInput } from '../../../tasks/prepare/prepare';
import { run } from './fixtures';

const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const ddb = mockClient(DynamoDBDocumentClient);
beforeEach(() => {
  ec2.reset();
  ssm.reset();
  ddb.reset();
});

const event = (input: unknown) => ({
  run,
  input,
  config: {
    baseImage: { ssmParameter: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' },
    architecture: 'x86_64',
    namingPattern: '{pipeline}-{version}-{yyyymmdd}',
    registryTable: 'gami-registry',
    components: ['os-update'],
    allowedOwners: ['amazon', 'self'],
    componentsDigest: 'c'.repeat(64),
  },
});

/** `levels` objects nested in one another under `key`, built without recursion. */
function nested(levels: number, key = 'a'): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 0; i < levels; i++) value = { [key]: value };
  return value;
}

/** Refused by prepare with exactly `message`, and nothing was read or written. */
async function expectRefused(input: unknown, message: string): Promise<void> {
  await expect(handler(event(input))).rejects.toMatchObject({ name: 'InvalidExecutionInput', message: `invalid execution input: ${message}` });
  expect(ec2).not.toHaveReceivedAnyCommand();
  expect(ssm).not.toHaveReceivedAnyCommand();
  expect(ddb).not.toHaveReceivedAnyCommand();
}

describe('execution input limits', () => {
  it('refuses a "__proto__" key as JSON carries it, naming it', async () => {
    // JSON.parse makes "__proto__" an own key, as the execution input reaches Lambda
    await expectRefused(JSON.parse('{"__proto__":{"reason":"x"}}'), '__proto__: the key "__proto__" is not accepted');
  });

  it('refuses a "__proto__" key inside baseImage instead of dropping it, naming the field', async () => {
    await expectRefused(
      JSON.parse('{"baseImage":{"amiId":"ami-0123456789abcdef0","__proto__":{"x":1}}}'),
      'baseImage.__proto__: the key "__proto__" is not accepted',
    );
  });

  it.each(['constructor', 'prototype'])('refuses a %s key', async (key) => {
    await expectRefused(JSON.parse(`{"reason":"ok","${key}":{}}`), `${key}: the key "${key}" is not accepted`);
  });

  it('refuses an object whose prototype was replaced (a __proto__ in an object literal)', () => {
    const input: unknown = { __proto__: { reason: 'x' } };
    expect(() => parseExecutionInput(input)).toThrow('invalid execution input: the input: carries an object prototype (a "__proto__" key); not accepted');
  });

  it('refuses 5,000 nested objects by name, without overflowing the stack', async () => {
    // Prepare
    const input = { baseImage: nested(5000) };

    // Act + Assess: a RangeError would fail the name match
    await expectRefused(input, `baseImage.a.a.a: nested deeper than ${EXECUTION_INPUT_LIMITS.maxDepth} levels`);
  });

  it('refuses 5,000 nested arrays by name, without overflowing the stack', async () => {
    let value: unknown = [];
    for (let i = 0; i < 5000; i++) value = [value];

    await expectRefused({ reason: value }, `reason[0][0][0]: nested deeper than ${EXECUTION_INPUT_LIMITS.maxDepth} levels`);
  });

  it('refuses an over-long string, naming the field and both lengths', async () => {
    await expectRefused(
      { baseImage: { owner: 'amazon', namePattern: 'x'.repeat(5000) } },
      `baseImage.namePattern: a text of 5000 characters; at most ${EXECUTION_INPUT_LIMITS.maxStringLength} are accepted`,
    );
  });

  it('refuses input larger than the limit even when every string is short enough', async () => {
    // 20 strings of 1,000 characters: each within the string limit, about 20 KB together
    const input = { reason: 'ok', notes: Array.from({ length: 20 }, () => 'x'.repeat(1000)) };

    await expectRefused(input, `the input is larger than ${EXECUTION_INPUT_LIMITS.maxBytes} bytes of JSON`);
  });

  it("accepts input at the limits (a field's own schema may still be stricter)", () => {
    expect(inputLimitViolation({ reason: 'x'.repeat(EXECUTION_INPUT_LIMITS.maxStringLength), baseImage: { amiId: 'ami-0123456789abcdef0' } })).toBeUndefined();
    expect(inputLimitViolation(nested(EXECUTION_INPUT_LIMITS.maxDepth - 1))).toBeUndefined();
    expect(inputLimitViolation(nested(EXECUTION_INPUT_LIMITS.maxDepth))).toBe(`a.a.a.a: nested deeper than ${EXECUTION_INPUT_LIMITS.maxDepth} levels`);
  });

  it('treats no input at all as {}', () => {
    expect(parseExecutionInput(undefined)).toEqual({});
    expect(parseExecutionInput(null)).toEqual({});
  });
});
