/**
 * Scenario files: YAML that seeds a fresh world — organization, accounts (access keys, roles, instance profiles,
 * KMS keys, SNS topics, SSM parameters, images, launch templates, Auto Scaling groups, instances), public base
 * images with their SSM public parameters, DynamoDB tables, and a fault plan. Ages are relative ("ageDays"),
 * so a scenario seeds the same world whatever the clock says. Validated by a zod schema; errors name the path.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { CATALOG } from './inspector/catalog';
import { baseImageSoftware, isBaseImageProfile } from './packages/base-images';
import { addAccessKey, addAccount, addImage, addInstanceProfile, addOrganization, addRole, addRunningInstance } from './seed';
import { createKey, findKey } from './services/kms';
import { putLaunchTemplate } from './services/ec2/launch-templates';
import { putPublicParameter } from './services/ssm-parameters';
import { AMAZON_OWNER_ID, type ImageRecord, type World } from './world';

const DAY_MS = 24 * 3_600_000;

const accountId = z.string().regex(/^\d{12}$/, 'an AWS account id is 12 digits (quote it in YAML: "111111111111")');
const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'not an AWS region name (e.g. eu-west-1)');
const tags = z.record(z.string(), z.string());

const sharing = z
  .object({
    accounts: z.array(accountId).default([]),
    organization: z.boolean().default(false),
    organizationalUnits: z.array(z.string().regex(/^ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$/)).default([]),
    public: z.boolean().default(false),
  })
  .strict();

const imageSpec = z
  .object({
    /** Handle other entries use to refer to this image (per region). */
    ref: z.string().optional(),
    regions: z.array(region).min(1),
    name: z.string().min(3).max(128),
    description: z.string().optional(),
    profile: z.string().refine(isBaseImageProfile, { error: 'unknown base image profile (see local/cloud/packages/base-images.ts)' }),
    architecture: z.enum(['x86_64', 'arm64']).default('x86_64'),
    platform: z.literal('windows').optional(),
    ageDays: z.number().min(0).default(0),
    volumeSizeGiB: z.number().int().min(1).max(16384).default(8),
    /** KMS key alias of the owner in each region (`alias/gami-ami`), or `aws/ebs` for the default key. */
    encryptedWith: z.string().optional(),
    tags: tags.default({}),
    sharedWith: sharing.optional(),
    /** Deprecated this many days after creation (may be in the past). */
    deprecatedAfterDays: z.number().optional(),
    deregistrationProtection: z.boolean().default(false),
    /** Public SSM parameters (`/aws/service/...`) that resolve to this image in each of its regions. */
    ssmParameters: z.array(z.string().startsWith('/aws/service/')).default([]),
  })
  .strict();

const publicImageSpec = imageSpec.extend({ owner: z.union([z.literal('amazon'), accountId]) }).strict();

const kmsKeySpec = z
  .object({
    regions: z.array(region).min(1),
    alias: z.string().startsWith('alias/'),
    description: z.string().default(''),
    /** Other accounts the key policy lets use the key (e.g. to launch shared encrypted images). */
    policyAccounts: z.array(accountId).default([]),
  })
  .strict();

const launchTemplateSpec = z
  .object({
    region,
    name: z.string().regex(/^[a-zA-Z0-9().\-/_]{3,128}$/),
    versions: z
      .array(
        z
          .object({
            imageRef: z.string(),
            instanceType: z.string().default('t3.medium'),
            description: z.string().optional(),
            securityGroupIds: z.array(z.string()).optional(),
            iamInstanceProfile: z.string().optional(),
            httpTokens: z.enum(['optional', 'required']).default('required'),
          })
          .strict(),
      )
      .min(1),
    defaultVersion: z.number().int().min(1).optional(),
    tags: tags.default({}),
  })
  .strict();

const autoScalingGroupSpec = z
  .object({
    region,
    name: z.string().min(1).max(255),
    launchTemplate: z.string(),
    version: z.string().default('$Default'),
    minSize: z.number().int().min(0).default(1),
    maxSize: z.number().int().min(0).default(4),
    desiredCapacity: z.number().int().min(0).default(2),
    subnets: z.array(z.string()).default([]),
    /** How long ago the current instances were launched. */
    instancesAgeDays: z.number().min(0).default(0),
    tags: tags.default({}),
  })
  .strict();

const accountSpec = z
  .object({
    id: accountId,
    alias: z.string().optional(),
    organizationalUnit: z.string().optional(),
    /** Long-term access keys of IAM users (`AKIA…`, 16-128 characters). */
    accessKeys: z.array(z.object({ accessKeyId: z.string().regex(/^[A-Z0-9]{16,128}$/), user: z.string().default('gami') }).strict()).default([]),
    roles: z
      .array(
        z
          .object({
            name: z.string(),
            trustedPrincipals: z.array(z.string()).default([]),
            managedPolicies: z.array(z.string()).default([]),
            /** The trust policy's sts:ExternalId condition. */
            externalId: z.string().optional(),
          })
          .strict(),
      )
      .default([]),
    instanceProfiles: z.array(z.object({ name: z.string(), role: z.string() }).strict()).default([]),
    kmsKeys: z.array(kmsKeySpec).default([]),
    topics: z.array(z.object({ regions: z.array(region).min(1), name: z.string() }).strict()).default([]),
    imageBlockPublicAccess: z.array(region).default([]),
    images: z.array(imageSpec).default([]),
    parameters: z
      .array(
        z
          .object({ regions: z.array(region).min(1), name: z.string(), value: z.string().optional(), imageRef: z.string().optional(), dataType: z.string().default('text') })
          .strict()
          .refine((p) => (p.value === undefined) !== (p.imageRef === undefined), { error: 'a parameter needs exactly one of value or imageRef' }),
      )
      .default([]),
    launchTemplates: z.array(launchTemplateSpec).default([]),
    autoScalingGroups: z.array(autoScalingGroupSpec).default([]),
    instances: z
      .array(
        z
          .object({ region, imageRef: z.string(), count: z.number().int().min(1).default(1), instanceType: z.string().default('t3.medium'), ageDays: z.number().min(0).default(0), tags: tags.default({}) })
          .strict(),
      )
      .default([]),
  })
  .strict();

const faultRule = z
  .object({
    name: z.string().optional(),
    operation: z.string().optional(),
    error: z.string().optional(),
    httpStatusCode: z.number().int().optional(),
    behaviour: z.enum(['ec2.imageFails', 'ec2.copyFails', 'ec2.instanceFailsToStart', 'inspector.scanNeverCompletes', 'ssm.agentNeverOnline', 'ssm.commandFails']).optional(),
    accountId: accountId.optional(),
    region: region.optional(),
    probability: z.number().min(0).max(1).optional(),
    count: z.number().int().min(0).optional(),
    skip: z.number().int().min(0).optional(),
  })
  .strict()
  .refine((r) => (r.error === undefined) !== (r.behaviour === undefined), { error: 'a fault rule needs exactly one of error or behaviour' });

export const scenarioSchema = z
  .object({
    description: z.string().optional(),
    regions: z.array(region).min(1),
    organization: z
      .object({
        id: z.string().regex(/^o-[a-z0-9]{10,32}$/),
        managementAccount: accountId,
        organizationalUnits: z.array(z.object({ id: z.string().regex(/^ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$/), name: z.string() }).strict()).default([]),
      })
      .strict()
      .optional(),
    /** Access key the local runtime exports to the environment (Cloud option setEnvironmentCredentials). */
    defaultAccessKey: z.string().optional(),
    accounts: z.array(accountSpec).min(1),
    publicImages: z.array(publicImageSpec).default([]),
    dynamodbTables: z
      .array(
        z
          .object({
            name: z.string(),
            partitionKey: z.object({ name: z.string(), type: z.enum(['S', 'N', 'B']) }).strict(),
            sortKey: z.object({ name: z.string(), type: z.enum(['S', 'N', 'B']) }).strict().optional(),
          })
          .strict(),
      )
      .default([]),
    faults: z.object({ seed: z.number().int().default(1), rules: z.array(faultRule).default([]) }).strict().optional(),
    /** Throttle EC2 calls with AWS's documented token buckets (see local/cloud/rate-limits.ts). */
    rateLimits: z.boolean().default(false),
    /** Move the day a catalog CVE's fix shipped relative to the clock, e.g. `{ CVE-2024-2961: { fixReleasedDaysAgo: 10 } }`. */
    vulnerabilities: z.record(z.string().regex(/^CVE-\d{4}-\d{4,}$/), z.object({ fixReleasedDaysAgo: z.number().int().min(0) }).strict()).default({}),
  })
  .strict();

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;

/** A scenario that does not validate or does not resolve (unknown image ref, missing key…). */
export class ScenarioError extends Error {
  constructor(source: string, problems: string[]) {
    super(`invalid scenario ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ScenarioError';
  }
}

export function parseScenario(input: unknown, source = '(inline)'): Scenario {
  const result = scenarioSchema.safeParse(input);
  if (!result.success) {
    throw new ScenarioError(
      source,
      result.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`),
    );
  }
  return result.data;
}

export function loadScenarioFile(path: string): Scenario {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ScenarioError(path, [(error as Error).message]);
  }
  return parseScenario(raw, path);
}

/** Seed `world` (expected empty) from a validated scenario. */
export function applyScenario(world: World, scenario: Scenario, source = '(inline)'): void {
  const now = world.clock.now();
  const problems: string[] = [];
  const problem = (message: string): never => {
    throw new ScenarioError(source, [...problems, message]);
  };
  for (const r of scenario.regions) if (!world.state.regions.includes(r)) world.state.regions.push(r);
  world.state.regions = world.state.regions.filter((r) => scenario.regions.includes(r));

  if (scenario.organization) {
    addOrganization(world, { id: scenario.organization.id, managementAccountId: scenario.organization.managementAccount, ous: scenario.organization.organizationalUnits });
  }
  // Image refs resolve per region: `ref@region` → image.
  const refs = new Map<string, { ownerId: string; image: ImageRecord }>();
  const resolveRef = (ref: string, r: string): { ownerId: string; image: ImageRecord } =>
    refs.get(`${ref}@${r}`) ?? problem(`image ref "${ref}" has no image in ${r}`);

  const seedImage = (ownerId: string, spec: z.output<typeof imageSpec>, ownerAlias: string | undefined, isPublic: boolean) => {
    for (const r of spec.regions) {
      const created = now - spec.ageDays * DAY_MS;
      let kmsKeyId: string | undefined;
      if (spec.encryptedWith) {
        const located = findKey(world, ownerId, r, spec.encryptedWith.startsWith('alias/') ? spec.encryptedWith : `alias/${spec.encryptedWith}`);
        if (!located) problem(`image "${spec.name}": no KMS key ${spec.encryptedWith} in ${ownerId}/${r}`);
        kmsKeyId = located?.key.arn;
      }
      const org = scenario.organization;
      const image = addImage(world, ownerId, r, {
        name: spec.name,
        description: spec.description,
        ownerAlias,
        architecture: spec.architecture,
        platform: spec.platform,
        creationDate: created,
        volumeSize: spec.volumeSizeGiB,
        encrypted: spec.encryptedWith !== undefined,
        kmsKeyId,
        public: isPublic || spec.sharedWith?.public,
        tags: spec.tags,
        launchPermissions: {
          userIds: spec.sharedWith?.accounts ?? [],
          organizationArns: spec.sharedWith?.organization && org ? [`arn:aws:organizations::${org.managementAccount}:organization/${org.id}`] : [],
          organizationalUnitArns: (spec.sharedWith?.organizationalUnits ?? []).map((ou) => `arn:aws:organizations::${org?.managementAccount ?? ''}:ou/${org?.id ?? ''}/${ou}`),
        },
        deprecationTime: spec.deprecatedAfterDays !== undefined ? created + spec.deprecatedAfterDays * DAY_MS : undefined,
        software: baseImageSoftware(spec.profile, spec.architecture),
      });
      if (spec.deregistrationProtection) image.deregistrationProtection = { enabled: true, withCooldown: false };
      if (spec.ref) {
        if (refs.has(`${spec.ref}@${r}`)) problem(`image ref "${spec.ref}" is used twice in ${r}`);
        refs.set(`${spec.ref}@${r}`, { ownerId, image });
      }
      for (const name of spec.ssmParameters) putPublicParameter(world, r, name, image.imageId, 'aws:ec2:image');
    }
  };

  // Accounts first (keys and images of all of them exist before anything refers across accounts).
  for (const account of scenario.accounts) {
    addAccount(world, account.id, { alias: account.alias, organizationId: scenario.organization?.id, organizationalUnitId: account.organizationalUnit });
    for (const key of account.accessKeys) addAccessKey(world, account.id, { accessKeyId: key.accessKeyId, userName: key.user });
    for (const role of account.roles) addRole(world, account.id, role);
    for (const profile of account.instanceProfiles) {
      if (!account.roles.some((r) => r.name === profile.role)) problem(`account ${account.id}: instance profile ${profile.name} names unknown role ${profile.role}`);
      addInstanceProfile(world, account.id, { name: profile.name, roleName: profile.role });
    }
    for (const key of account.kmsKeys) {
      for (const r of key.regions) createKey(world, account.id, r, { description: key.description, aliases: [key.alias], policyAccounts: key.policyAccounts });
    }
    for (const topic of account.topics) {
      for (const r of topic.regions) world.region(account.id, r).topics[topic.name] = { name: topic.name, arn: `arn:aws:sns:${r}:${account.id}:${topic.name}` };
    }
    for (const r of account.imageBlockPublicAccess) world.region(account.id, r).imageBlockPublicAccess = 'block-new-sharing';
  }
  for (const spec of scenario.publicImages) {
    const ownerId = spec.owner === 'amazon' ? AMAZON_OWNER_ID : spec.owner;
    if (!world.hasAccount(ownerId)) addAccount(world, ownerId, { alias: spec.owner === 'amazon' ? 'amazon' : undefined });
    seedImage(ownerId, spec, spec.owner === 'amazon' ? 'amazon' : undefined, true);
  }
  for (const account of scenario.accounts) for (const spec of account.images) seedImage(account.id, spec, undefined, false);

  for (const account of scenario.accounts) {
    for (const p of account.parameters) {
      for (const r of p.regions) {
        const value = p.imageRef !== undefined ? resolveRef(p.imageRef, r).image.imageId : (p.value ?? '');
        world.region(account.id, r).parameters[p.name] = {
          name: p.name,
          type: 'String',
          value,
          version: 1,
          lastModifiedDate: now,
          dataType: p.imageRef !== undefined ? 'aws:ec2:image' : p.dataType,
          tier: 'Standard',
          history: { '1': value },
        };
      }
    }
    for (const lt of account.launchTemplates) {
      const data = (v: (typeof lt.versions)[number]) => ({
        ImageId: resolveRef(v.imageRef, lt.region).image.imageId,
        InstanceType: v.instanceType,
        SecurityGroupIds: v.securityGroupIds,
        IamInstanceProfile: v.iamInstanceProfile ? { Name: v.iamInstanceProfile } : undefined,
        MetadataOptions: { HttpTokens: v.httpTokens, HttpEndpoint: 'enabled' },
      });
      const createdBy = `arn:aws:iam::${account.id}:root`;
      const template = putLaunchTemplate(world, account.id, lt.region, { name: lt.name, data: JSON.parse(JSON.stringify(data(lt.versions[0]))) as Record<string, unknown>, versionDescription: lt.versions[0].description, createdBy, tags: lt.tags });
      lt.versions.slice(1).forEach((v, i) => {
        const n = i + 2;
        template.versions[String(n)] = { versionNumber: n, versionDescription: v.description, createTime: now, createdBy, data: JSON.parse(JSON.stringify(data(v))) as Record<string, unknown> };
        template.latestVersion = n;
      });
      if (lt.defaultVersion !== undefined) {
        if (!template.versions[String(lt.defaultVersion)]) problem(`launch template ${lt.name}: defaultVersion ${lt.defaultVersion} does not exist`);
        template.defaultVersion = lt.defaultVersion;
      }
    }
    for (const group of account.autoScalingGroups) {
      const regionState = world.region(account.id, group.region);
      const template = Object.values(regionState.launchTemplates).find((t) => t.launchTemplateName === group.launchTemplate) ?? problem(`Auto Scaling group ${group.name}: no launch template ${group.launchTemplate} in ${account.id}/${group.region}`);
      const version = group.version === '$Default' ? template.defaultVersion : group.version === '$Latest' ? template.latestVersion : Number(group.version);
      const imageId = String(template.versions[String(version)]?.data.ImageId ?? '');
      const image = Object.values(world.state.accounts).map((a) => a.regions[group.region]?.images[imageId]).find(Boolean) ?? problem(`Auto Scaling group ${group.name}: launch template image ${imageId} not found`);
      const instanceIds: string[] = [];
      for (let i = 0; i < group.desiredCapacity; i++) {
        const instance = addRunningInstance(world, account.id, group.region, image, {
          instanceType: String(template.versions[String(version)].data.InstanceType ?? 't3.medium'),
          launchedAt: now - group.instancesAgeDays * DAY_MS,
          tags: { ...group.tags, 'aws:autoscaling:groupName': group.name },
          launchTemplate: { id: template.launchTemplateId, name: template.launchTemplateName, version: String(version) },
          subnetId: group.subnets[i % Math.max(1, group.subnets.length)],
        });
        instanceIds.push(instance.instanceId);
      }
      regionState.autoScalingGroups[group.name] = {
        name: group.name,
        arn: `arn:aws:autoscaling:${group.region}:${account.id}:autoScalingGroup:${world.nextUuid()}:autoScalingGroupName/${group.name}`,
        launchTemplate: { launchTemplateId: template.launchTemplateId, launchTemplateName: template.launchTemplateName, version: group.version },
        minSize: group.minSize,
        maxSize: group.maxSize,
        desiredCapacity: group.desiredCapacity,
        createdTime: now - group.instancesAgeDays * DAY_MS,
        availabilityZones: [`${group.region}a`, `${group.region}b`],
        vpcZoneIdentifier: group.subnets.join(',') || undefined,
        instanceIds,
        tags: group.tags,
        instanceRefreshes: [],
      };
    }
    for (const spec of account.instances) {
      const { image } = resolveRef(spec.imageRef, spec.region);
      for (let i = 0; i < spec.count; i++) {
        addRunningInstance(world, account.id, spec.region, image, { instanceType: spec.instanceType, launchedAt: now - spec.ageDays * DAY_MS, tags: spec.tags });
      }
    }
  }
  world.state.rateLimits = scenario.rateLimits;
  for (const [vulnerabilityId, spec] of Object.entries(scenario.vulnerabilities)) {
    if (!CATALOG.some((r) => r.vulnerabilityId === vulnerabilityId)) problem(`vulnerabilities: ${vulnerabilityId} is not in the catalog (local/cloud/inspector/catalog.ts)`);
    world.state.fixReleasedAt = { ...(world.state.fixReleasedAt ?? {}), [vulnerabilityId]: new Date(now - spec.fixReleasedDaysAgo * DAY_MS).toISOString().slice(0, 10) };
  }
  if (scenario.faults) {
    world.faults.clear(scenario.faults.seed);
    for (const rule of scenario.faults.rules) world.faults.add(rule);
  }
  world.notifyChanged();
}
