/**
 * Launch templates: CreateLaunchTemplate, CreateLaunchTemplateVersion (SourceVersion), ModifyLaunchTemplate
 * (DefaultVersion), DescribeLaunchTemplates, DescribeLaunchTemplateVersions ($Default, $Latest).
 */
import type {
  CreateLaunchTemplateCommandInput,
  CreateLaunchTemplateCommandOutput,
  CreateLaunchTemplateVersionCommandInput,
  CreateLaunchTemplateVersionCommandOutput,
  DescribeLaunchTemplatesCommandInput,
  DescribeLaunchTemplatesCommandOutput,
  DescribeLaunchTemplateVersionsCommandInput,
  DescribeLaunchTemplateVersionsCommandOutput,
  LaunchTemplate,
  LaunchTemplateVersion,
  ModifyLaunchTemplateCommandInput,
  ModifyLaunchTemplateCommandOutput,
  RequestLaunchTemplateData,
  ResponseLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import { fail } from '../../errors';
import { paginate, type Operation } from '../../operations';
import type { LaunchTemplateRecord, LaunchTemplateVersionRecord, World } from '../../world';
import { anyMatches, iso, parseFilters, tagFilterMatches, tagsFor, tagsOut } from './common';
import { findLaunchTemplate, resolveTemplateVersion } from './instances';

const NAME_PATTERN = /^[a-zA-Z0-9().\-/_]{3,128}$/;

function templateOut(t: LaunchTemplateRecord): LaunchTemplate {
  return {
    LaunchTemplateId: t.launchTemplateId,
    LaunchTemplateName: t.launchTemplateName,
    CreateTime: new Date(t.createTime),
    CreatedBy: t.createdBy,
    DefaultVersionNumber: t.defaultVersion,
    LatestVersionNumber: t.latestVersion,
    Tags: tagsOut(t.tags),
  };
}

function versionOut(t: LaunchTemplateRecord, v: LaunchTemplateVersionRecord): LaunchTemplateVersion {
  return {
    LaunchTemplateId: t.launchTemplateId,
    LaunchTemplateName: t.launchTemplateName,
    VersionNumber: v.versionNumber,
    VersionDescription: v.versionDescription,
    CreateTime: new Date(v.createTime),
    CreatedBy: v.createdBy,
    DefaultVersion: v.versionNumber === t.defaultVersion,
    // Request and response launch template data share their field names for everything we keep.
    LaunchTemplateData: structuredClone(v.data) as ResponseLaunchTemplateData,
  };
}

function toData(data: RequestLaunchTemplateData | undefined): Record<string, unknown> {
  return JSON.parse(JSON.stringify(data ?? {})) as Record<string, unknown>;
}

/** Create a launch template directly (scenario seeding); the operation below validates and calls this. */
export function putLaunchTemplate(
  world: World,
  accountId: string,
  region: string,
  init: { name: string; data: Record<string, unknown>; versionDescription?: string; createdBy: string; tags?: Record<string, string> },
): LaunchTemplateRecord {
  const now = world.now();
  const template: LaunchTemplateRecord = {
    launchTemplateId: world.nextId('lt'),
    launchTemplateName: init.name,
    createTime: now,
    createdBy: init.createdBy,
    defaultVersion: 1,
    latestVersion: 1,
    tags: { ...(init.tags ?? {}) },
    versions: { '1': { versionNumber: 1, versionDescription: init.versionDescription, createTime: now, createdBy: init.createdBy, data: init.data } },
  };
  world.region(accountId, region).launchTemplates[template.launchTemplateId] = template;
  return template;
}

export const createLaunchTemplate: Operation<CreateLaunchTemplateCommandInput, CreateLaunchTemplateCommandOutput> = async (ctx, input) => {
  const name = input.LaunchTemplateName ?? fail('MissingParameter', 'The request must contain the parameter LaunchTemplateName');
  if (!NAME_PATTERN.test(name)) fail('InvalidLaunchTemplateName.MalformedException', `The launch template name ${name} is malformed.`);
  if (!input.LaunchTemplateData) fail('MissingParameter', 'The request must contain the parameter LaunchTemplateData');
  const tokenKey = input.ClientToken ? `CreateLaunchTemplate:${input.ClientToken}` : undefined;
  if (tokenKey && ctx.regionState.clientTokens[tokenKey]) {
    const earlier = ctx.regionState.launchTemplates[ctx.regionState.clientTokens[tokenKey].id];
    if (earlier) return { LaunchTemplate: templateOut(earlier) };
  }
  if (Object.values(ctx.regionState.launchTemplates).some((t) => t.launchTemplateName === name)) {
    fail('InvalidLaunchTemplateName.AlreadyExistsException', `Launch template name already in use.`);
  }
  const template = putLaunchTemplate(ctx.world, ctx.account, ctx.region, {
    name,
    data: toData(input.LaunchTemplateData),
    versionDescription: input.VersionDescription,
    createdBy: ctx.callerArn,
    tags: tagsFor(input.TagSpecifications, 'launch-template'),
  });
  if (tokenKey) ctx.regionState.clientTokens[tokenKey] = { id: template.launchTemplateId, fingerprint: name };
  return { LaunchTemplate: templateOut(template) };
};

export const createLaunchTemplateVersion: Operation<CreateLaunchTemplateVersionCommandInput, CreateLaunchTemplateVersionCommandOutput> = async (ctx, input) => {
  const template = findLaunchTemplate(ctx.world, ctx.account, ctx.region, input.LaunchTemplateId, input.LaunchTemplateName);
  if (!input.LaunchTemplateData) fail('MissingParameter', 'The request must contain the parameter LaunchTemplateData');
  const tokenKey = input.ClientToken ? `CreateLaunchTemplateVersion:${template.launchTemplateId}:${input.ClientToken}` : undefined;
  if (tokenKey && ctx.regionState.clientTokens[tokenKey]) {
    const earlier = template.versions[ctx.regionState.clientTokens[tokenKey].id];
    if (earlier) return { LaunchTemplateVersion: versionOut(template, earlier) };
  }
  let base: Record<string, unknown> = {};
  if (input.SourceVersion !== undefined) {
    const source = resolveTemplateVersion(template, input.SourceVersion);
    base = structuredClone(template.versions[String(source)].data);
  }
  // With SourceVersion, the given data overrides the source's top-level parameters.
  const data = { ...base, ...toData(input.LaunchTemplateData) };
  const versionNumber = template.latestVersion + 1;
  const version: LaunchTemplateVersionRecord = {
    versionNumber,
    versionDescription: input.VersionDescription,
    createTime: ctx.clock.now(),
    createdBy: ctx.callerArn,
    data,
  };
  template.versions[String(versionNumber)] = version;
  template.latestVersion = versionNumber;
  if (tokenKey) ctx.regionState.clientTokens[tokenKey] = { id: String(versionNumber), fingerprint: '' };
  return { LaunchTemplateVersion: versionOut(template, version) };
};

export const modifyLaunchTemplate: Operation<ModifyLaunchTemplateCommandInput, ModifyLaunchTemplateCommandOutput> = async (ctx, input) => {
  const template = findLaunchTemplate(ctx.world, ctx.account, ctx.region, input.LaunchTemplateId, input.LaunchTemplateName);
  if (input.DefaultVersion !== undefined) {
    const n = Number(input.DefaultVersion);
    if (!Number.isInteger(n) || !template.versions[String(n)]) {
      fail('InvalidLaunchTemplateId.VersionNotFound', `Could not find launch template version ${input.DefaultVersion} for launch template ${template.launchTemplateId}`);
    }
    template.defaultVersion = n;
  }
  return { LaunchTemplate: templateOut(template) };
};

const TEMPLATE_FILTERS = ['create-time', 'launch-template-name', 'tag-key', 'tag-value'];

export const describeLaunchTemplates: Operation<DescribeLaunchTemplatesCommandInput, DescribeLaunchTemplatesCommandOutput> = async (ctx, input) => {
  const filters = parseFilters(input.Filters, TEMPLATE_FILTERS);
  let templates = Object.values(ctx.regionState.launchTemplates);
  if (input.LaunchTemplateIds?.length) templates = input.LaunchTemplateIds.map((id) => findLaunchTemplate(ctx.world, ctx.account, ctx.region, id, undefined));
  if (input.LaunchTemplateNames?.length) {
    templates = input.LaunchTemplateNames.map((name) => {
      const t = Object.values(ctx.regionState.launchTemplates).find((x) => x.launchTemplateName === name);
      return t ?? fail('InvalidLaunchTemplateName.NotFoundException', `At least one of the launch templates specified in the request does not exist.`);
    });
  }
  const matching = templates.filter((t) =>
    filters.every((f) => {
      const tag = tagFilterMatches(f, t.tags);
      if (tag !== undefined) return tag;
      if (f.name === 'launch-template-name') return anyMatches(f.values, t.launchTemplateName);
      if (f.name === 'create-time') return anyMatches(f.values, iso(t.createTime));
      return false;
    }),
  );
  const page = paginate(matching, input, { defaultMax: 200, minLimit: 1, maxLimit: 200, invalidTokenCode: 'InvalidParameterValue', invalidParameterCode: 'InvalidParameterValue' });
  return { LaunchTemplates: page.items.map(templateOut), NextToken: page.nextToken };
};

const VERSION_FILTERS = ['create-time', 'ebs-optimized', 'iam-instance-profile', 'image-id', 'instance-type', 'is-default-version', 'kernel-id', 'ram-disk-id'];

export const describeLaunchTemplateVersions: Operation<DescribeLaunchTemplateVersionsCommandInput, DescribeLaunchTemplateVersionsCommandOutput> = async (ctx, input) => {
  const filters = parseFilters(input.Filters, VERSION_FILTERS);
  const templates =
    input.LaunchTemplateId || input.LaunchTemplateName
      ? [findLaunchTemplate(ctx.world, ctx.account, ctx.region, input.LaunchTemplateId, input.LaunchTemplateName)]
      : Object.values(ctx.regionState.launchTemplates);
  if (input.Versions?.length && templates.length !== 1) fail('MissingParameter', 'Versions can only be given with a launch template id or name');
  const results: [LaunchTemplateRecord, LaunchTemplateVersionRecord][] = [];
  for (const template of templates) {
    let numbers: number[];
    if (input.Versions?.length) numbers = [...new Set(input.Versions.map((v) => resolveTemplateVersion(template, v)))];
    else numbers = Object.keys(template.versions).map(Number).sort((a, b) => a - b);
    const min = input.MinVersion !== undefined ? Number(input.MinVersion) : -Infinity;
    const max = input.MaxVersion !== undefined ? Number(input.MaxVersion) : Infinity;
    for (const n of numbers) {
      if (n < min || n > max) continue;
      const version = template.versions[String(n)];
      const data = version.data as RequestLaunchTemplateData;
      const ok = filters.every((f) => {
        switch (f.name) {
          case 'image-id': return anyMatches(f.values, typeof data.ImageId === 'string' ? data.ImageId : undefined);
          case 'instance-type': return anyMatches(f.values, data.InstanceType);
          case 'is-default-version': return anyMatches(f.values, String(n === template.defaultVersion));
          case 'iam-instance-profile': return anyMatches(f.values, [data.IamInstanceProfile?.Arn, data.IamInstanceProfile?.Name]);
          case 'create-time': return anyMatches(f.values, iso(version.createTime));
          default: return false;
        }
      });
      if (ok) results.push([template, version]);
    }
  }
  const page = paginate(results, input, {
    defaultMax: 200,
    minLimit: 1,
    maxLimit: 200,
    invalidTokenCode: 'InvalidParameterValue',
    invalidParameterCode: 'InvalidParameterValue',
  });
  return { LaunchTemplateVersions: page.items.map(([t, v]) => versionOut(t, v)), NextToken: page.nextToken };
};
