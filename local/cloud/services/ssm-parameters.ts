/**
 * SSM Parameter Store: GetParameter, GetParameters, PutParameter. Public parameters (`/aws/service/...`, e.g.
 * the Amazon Linux 2023 latest-AMI parameters) live in the Amazon account of each region and are readable by
 * everyone; `aws:ec2:image` parameters must hold an image id the caller can see.
 */
import type {
  DeleteParameterCommandInput,
  DeleteParameterCommandOutput,
  GetParametersByPathCommandInput,
  GetParametersByPathCommandOutput,
  GetParameterCommandInput,
  GetParameterCommandOutput,
  GetParametersCommandInput,
  GetParametersCommandOutput,
  Parameter,
  PutParameterCommandInput,
  PutParameterCommandOutput,
} from '@aws-sdk/client-ssm';
import { fail } from '../errors';
import { paginate, type Operation, type OperationContext } from '../operations';
import { AMAZON_OWNER_ID, type ParameterRecord, type World } from '../world';
import { locateImage, canLaunch } from './ec2/common';

export const PUBLIC_PREFIX = '/aws/service/';

/** Seed (or overwrite) a public parameter in `region` (scenario loading). */
export function putPublicParameter(world: World, region: string, name: string, value: string, dataType = 'text'): void {
  world.ensureAccount(AMAZON_OWNER_ID, { alias: 'amazon' });
  const parameters = world.region(AMAZON_OWNER_ID, region).parameters;
  const existing = parameters[name];
  parameters[name] = {
    name,
    type: 'String',
    value,
    version: (existing?.version ?? 0) + 1,
    lastModifiedDate: world.now(),
    dataType,
    tier: 'Standard',
    history: { ...(existing?.history ?? {}), [String((existing?.version ?? 0) + 1)]: value },
  };
}

function parseSelector(raw: string): { name: string; version?: number; label?: string } {
  const i = raw.lastIndexOf(':');
  if (i <= 0) return { name: raw };
  const selector = raw.slice(i + 1);
  const name = raw.slice(0, i);
  if (/^\d+$/.test(selector)) return { name, version: Number(selector) };
  return { name, label: selector };
}

function lookup(ctx: OperationContext, raw: string): { record: ParameterRecord; arn: string; selector?: string; value: string; version: number } | undefined {
  const { name, version, label } = parseSelector(raw);
  if (label !== undefined) return undefined;
  const isPublic = name.startsWith(PUBLIC_PREFIX);
  const owner = isPublic ? AMAZON_OWNER_ID : ctx.account;
  if (!ctx.world.hasAccount(owner)) return undefined;
  const record = ctx.world.region(owner, ctx.region).parameters[name];
  if (!record) return undefined;
  const path = name.startsWith('/') ? name.slice(1) : name;
  const arn = isPublic ? `arn:aws:ssm:${ctx.region}::parameter/${path}` : `arn:aws:ssm:${ctx.region}:${ctx.account}:parameter/${path}`;
  if (version !== undefined) {
    const value = record.history[String(version)];
    if (value === undefined) return undefined;
    return { record, arn, selector: `:${version}`, value, version };
  }
  return { record, arn, value: record.value, version: record.version };
}

function parameterOut(found: NonNullable<ReturnType<typeof lookup>>, withDecryption: boolean | undefined): Parameter {
  const { record } = found;
  return {
    Name: record.name,
    Type: record.type,
    // SecureString values come back encrypted unless WithDecryption; the simulation marks them instead.
    Value: record.type === 'SecureString' && !withDecryption ? `kms:encrypted:${Buffer.from(found.value).toString('base64')}` : found.value,
    Version: found.version,
    Selector: found.selector,
    LastModifiedDate: new Date(record.lastModifiedDate),
    ARN: found.arn,
    DataType: record.dataType,
  };
}

export const getParameter: Operation<GetParameterCommandInput, GetParameterCommandOutput> = async (ctx, input) => {
  const name = input.Name ?? fail('ValidationException', "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null");
  const found = lookup(ctx, name);
  if (!found) {
    if (parseSelector(name).version !== undefined && lookup(ctx, parseSelector(name).name)) fail('ParameterVersionNotFound', `Systems Manager could not find version ${parseSelector(name).version} of ${parseSelector(name).name}.`);
    fail('ParameterNotFound', `Parameter ${name} not found.`);
  }
  return { Parameter: parameterOut(found, input.WithDecryption) };
};

export const getParameters: Operation<GetParametersCommandInput, GetParametersCommandOutput> = async (ctx, input) => {
  const names = input.Names ?? [];
  if (names.length === 0 || names.length > 10) fail('ValidationException', 'Names must contain between 1 and 10 parameter names');
  const parameters: Parameter[] = [];
  const invalid: string[] = [];
  for (const name of names) {
    const found = lookup(ctx, name);
    if (found) parameters.push(parameterOut(found, input.WithDecryption));
    else invalid.push(name);
  }
  return { Parameters: parameters, InvalidParameters: invalid };
};

const NAME = /^[a-zA-Z0-9_.\-/]{1,2048}$/;

export const putParameter: Operation<PutParameterCommandInput, PutParameterCommandOutput> = async (ctx, input) => {
  const name = input.Name ?? fail('ValidationException', "Value null at 'name' failed to satisfy constraint");
  const value = input.Value ?? fail('ValidationException', "Value null at 'value' failed to satisfy constraint");
  if (!NAME.test(name)) fail('ValidationException', `Parameter name: can only contain letters, numbers and . - _ /`);
  const bare = name.replace(/^\//, '').toLowerCase();
  if (bare.startsWith('aws') || bare.startsWith('ssm')) fail('ValidationException', `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive).`);
  if (name.split('/').length - 1 > 15) fail('HierarchyLevelLimitExceededException', 'A hierarchy can have a maximum of 15 levels.');
  const tier = input.Tier === 'Advanced' ? 'Advanced' : 'Standard';
  if (value.length > (tier === 'Advanced' ? 8192 : 4096)) fail('ValidationException', 'Parameter value exceeds the maximum size for its tier');
  const parameters = ctx.regionState.parameters;
  const existing = parameters[name];
  if (existing && !input.Overwrite) fail('ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
  if (existing && input.Tags?.length) fail('ValidationException', 'Invalid request: tags and overwrite can\'t be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource API.');
  const type = input.Type ?? existing?.type ?? fail('ValidationException', 'A parameter type is required when you create a parameter.');
  const dataType = input.DataType ?? existing?.dataType ?? 'text';
  if (!['text', 'aws:ec2:image', 'aws:ssm:integration'].includes(dataType)) fail('InvalidDataType', `The following data type is not supported: ${dataType}`);
  if (dataType === 'aws:ec2:image') {
    if (type !== 'String') fail('ValidationException', 'The aws:ec2:image data type is only supported for String parameters');
    const located = /^ami-[0-9a-f]{8,17}$/.test(value) ? locateImage(ctx.world, ctx.region, value) : undefined;
    if (!located || !canLaunch(ctx.world, located.image, ctx.account)) fail('ValidationException', `Parameter value, ${value}, is not a valid aws:ec2:image data type value`);
  }
  const version = (existing?.version ?? 0) + 1;
  if (version > 100 && existing) {
    // Parameter Store keeps 100 versions; the oldest goes when no label pins it (labels are not simulated).
    delete existing.history[String(version - 100)];
  }
  parameters[name] = {
    name,
    type,
    value,
    version,
    lastModifiedDate: ctx.clock.now(),
    dataType,
    description: input.Description ?? existing?.description,
    tier,
    history: { ...(existing?.history ?? {}), [String(version)]: value },
  };
  return { Version: version, Tier: tier };
};

export const deleteParameter: Operation<DeleteParameterCommandInput, DeleteParameterCommandOutput> = async (ctx, input) => {
  const name = input.Name ?? fail('ValidationException', "Value null at 'name' failed to satisfy constraint");
  if (!ctx.regionState.parameters[name]) fail('ParameterNotFound', `Parameter ${name} not found.`);
  delete ctx.regionState.parameters[name];
  return {};
};

/**
 * Parameters under a path (`/golden/`), one level or recursive, public ones included for `/aws/service/...`
 * paths; `ParameterFilters` are not simulated. Pages of up to 10, as the API allows.
 */
export const getParametersByPath: Operation<GetParametersByPathCommandInput, GetParametersByPathCommandOutput> = async (ctx, input) => {
  const path = input.Path ?? fail('ValidationException', "Value null at 'path' failed to satisfy constraint");
  if (!path.startsWith('/')) fail('ValidationException', 'The parameter path must begin with a forward slash (/).');
  if (input.ParameterFilters?.length) fail('ValidationException', 'ParameterFilters are not supported by the simulated Parameter Store');
  const prefix = path.endsWith('/') ? path : `${path}/`;
  const owner = prefix.startsWith(PUBLIC_PREFIX) ? AMAZON_OWNER_ID : ctx.account;
  const parameters = ctx.world.hasAccount(owner) ? ctx.world.region(owner, ctx.region).parameters : {};
  const names = Object.keys(parameters)
    .filter((name) => name.startsWith(prefix) && (input.Recursive || !name.slice(prefix.length).includes('/')))
    .sort();
  const page = paginate(names, input, { defaultMax: 10, maxLimit: 10, invalidParameterCode: 'ValidationException', queryFingerprint: JSON.stringify([prefix, input.Recursive]) });
  return {
    Parameters: page.items.map((name) => parameterOut(lookup(ctx, name) as NonNullable<ReturnType<typeof lookup>>, input.WithDecryption)),
    NextToken: page.nextToken,
  };
};

export const ssmParameterOperations = {
  GetParameter: getParameter,
  GetParameters: getParameters,
  GetParametersByPath: getParametersByPath,
  PutParameter: putParameter,
  DeleteParameter: deleteParameter,
};
