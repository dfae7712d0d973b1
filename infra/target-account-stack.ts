/**
 * GamiTargetAccountStack: deployed once per consumer account (and pipeline), it lets the tooling account's pipeline
 * do exactly what the launch template stage and retention need there, and nothing else:
 *
 *   role (default GamiLaunchTemplateUpdater)  trusted only by the pipeline's cross-account task roles in the tooling
 *       account (`gami-<pipeline>-lt-update|lt-check|lt-rollback|cleanup`, infra/task-functions.ts), and only with
 *       the pipeline's sts:ExternalId. Allowed: CreateLaunchTemplateVersion / ModifyLaunchTemplate on the named
 *       templates (names are resolved to ids at deploy time: launch template ARNs carry ids only),
 *       Start/CancelInstanceRefresh on the named groups, Put/DeleteParameter on the named parameters, and the reads
 *       retention needs (DescribeImageReferences, DescribeLaunchTemplates/Versions, DescribeInstances,
 *       DescribeAutoScalingGroups, DescribeInstanceRefreshes, GetParameter(s)).
 *   reader role (optional, `readers`): `gami-<pipeline>-reader`, trusted by the named principals of the tooling
 *       account (operators, auditors) with the pipeline's sts:ExternalId, allowed only the reads that tell what uses
 *       an image here (DescribeImageReferences, DescribeLaunchTemplates/Versions, DescribeInstances,
 *       DescribeAutoScalingGroups): what `gami images` and `gami retention plan` assume on AWS. The updater role is
 *       never trusted by people, so without a reader those commands say this account was not read.
 *   Allowed AMIs (optional, `enforceApprovedImages: audit | enforce`), per region of the account's templates: the
 *       image criteria replaced by one criterion, our watermark `<tooling account>:<pipeline>` (markApproved attaches
 *       it to approved images only), then the setting enabled in audit-mode or enabled. CloudFormation has no
 *       resource for it, so each is an AwsCustomResource call. Images the account owns are always allowed (EC2).
 *
 * Deploy order: the pipeline stack first (the trusted roles must exist), then this stack in each consumer account.
 */
import { Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as cr from 'aws-cdk-lib/custom-resources';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { defaultExternalId, type PipelineConfig } from '../pipeline/config';
import { acknowledgeWildcards } from './nag';
import { CROSS_ACCOUNT_TASKS, crossAccountRoleName, type CrossAccountTask } from './task-functions';

export type EnforceApprovedImages = 'audit' | 'enforce';

/** The construct id aws-cdk-lib gives the one provider function of every AwsCustomResource in a stack. */
const AWS_CUSTOM_RESOURCE_PROVIDER_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

export interface TargetLaunchTemplate {
  region: string;
  launchTemplateId?: string;
  launchTemplateName?: string;
  autoScalingGroups: string[];
}

export interface GamiTargetAccountStackProps extends StackProps {
  /** The pipeline's name: its task roles are trusted, its watermark is the Allowed AMIs criterion. */
  pipelineName: string;
  /** The account the pipeline is deployed in (its task roles and its images live there). */
  toolingAccount: string;
  /** The templates of this account the pipeline updates (config `launchTemplates` of this account). */
  launchTemplates: TargetLaunchTemplate[];
  /** SSM parameters (name, region) the pipeline may write in this account. Default: none. */
  parameters?: { region: string; name: string }[];
  /** Role name; the pipeline's `launchTemplates[].roleName`. Default: GamiLaunchTemplateUpdater. */
  roleName?: string;
  /** The pipeline's `launchTemplates[].externalId`. Default: gami-<pipeline>. */
  externalId?: string;
  /** EC2 Allowed AMIs on our watermark in every region of the templates: audit mode first. Default: not touched. */
  enforceApprovedImages?: EnforceApprovedImages;
  /**
   * IAM roles or users of the tooling account that may assume the read-only reader role (`readerRoleName`): the
   * people who run `gami images` and `gami retention plan`. Default: none, and no reader role.
   */
  readers?: string[];
}

/** The read-only role of a consumer account that operators and auditors assume (GamiTargetAccountStack `readers`). */
export function readerRoleName(pipelineName: string): string {
  return `gami-${pipelineName}-reader`;
}

/** The reads that tell what uses an image in an account: retention's collection (tasks/retention/collect.ts). */
export const REFERENCE_READS = [
  'ec2:DescribeImageReferences',
  'ec2:DescribeLaunchTemplates',
  'ec2:DescribeLaunchTemplateVersions',
  'ec2:DescribeInstances',
  'autoscaling:DescribeAutoScalingGroups',
];

/** A reader principal must be a role or user of the tooling account; the message names what is wrong. */
export function readerProblem(arn: string, toolingAccount: string): string | undefined {
  const match = /^arn:aws[a-z-]*:iam::(\d{12}):(role|user)\/[\w+=,.@\/-]+$/.exec(arn);
  if (!match) return `"${arn}" is not the ARN of an IAM role or user`;
  if (match[1] !== toolingAccount) return `"${arn}" is in account ${match[1]}, not the tooling account ${toolingAccount}`;
  return undefined;
}

/** The props of the stack for `account`, from a pipeline's configuration (its launch templates in that account). */
export function targetAccountProps(config: PipelineConfig, account: string, toolingAccount: string): Omit<GamiTargetAccountStackProps, keyof StackProps> {
  const targets = config.launchTemplates.filter((t) => t.account === account);
  if (targets.length === 0) throw new Error(`pipeline ${config.name} updates no launch template in account ${account}`);
  const roleNames = [...new Set(targets.map((t) => t.roleName))];
  const externalIds = [...new Set(targets.map((t) => t.externalId))];
  if (roleNames.length > 1 || externalIds.length > 1) {
    throw new Error(`pipeline ${config.name}: account ${account}'s launch templates name more than one roleName or externalId; one role per account`);
  }
  return {
    pipelineName: config.name,
    toolingAccount,
    launchTemplates: targets.map((t) => ({ region: t.region, launchTemplateId: t.launchTemplateId, launchTemplateName: t.launchTemplateName, autoScalingGroups: t.autoScalingGroups })),
    roleName: roleNames[0],
    externalId: externalIds[0],
  };
}

export class GamiTargetAccountStack extends Stack {
  readonly role: iam.Role;
  /** With `readers`: the read-only role they assume. */
  reader?: iam.Role;

  constructor(scope: Construct, id: string, props: GamiTargetAccountStackProps) {
    super(scope, id, props);
    const { partition, account } = this;
    const trusted = (Object.keys(CROSS_ACCOUNT_TASKS) as CrossAccountTask[]).map(
      (task) => new iam.ArnPrincipal(`arn:${partition}:iam::${props.toolingAccount}:role/${crossAccountRoleName(props.pipelineName, task)}`),
    );
    this.role = new iam.Role(this, 'UpdaterRole', {
      roleName: props.roleName ?? 'GamiLaunchTemplateUpdater',
      assumedBy: new iam.CompositePrincipal(...trusted),
      externalIds: [props.externalId ?? defaultExternalId(props.pipelineName)],
      description: `golden-ami-pipeline ${props.pipelineName} (account ${props.toolingAccount}): launch templates, instance refreshes, parameters`,
    });

    const lookupPolicy = cr.AwsCustomResourcePolicy.fromStatements([
      new iam.PolicyStatement({ actions: ['ec2:DescribeLaunchTemplates'], resources: ['*'] }),
    ]);
    const templateArns = props.launchTemplates.map((t, i) => {
      if (t.launchTemplateId) return `arn:${partition}:ec2:${t.region}:${account}:launch-template/${t.launchTemplateId}`;
      // Launch template ARNs carry the id only: resolve the name when the stack deploys.
      const lookup = new cr.AwsCustomResource(this, `TemplateId${i}`, {
        onUpdate: {
          service: 'EC2',
          action: 'describeLaunchTemplates',
          parameters: { LaunchTemplateNames: [t.launchTemplateName] },
          region: t.region,
          physicalResourceId: cr.PhysicalResourceId.of(`${t.region}/${t.launchTemplateName}`),
          outputPaths: ['LaunchTemplates.0.LaunchTemplateId'],
        },
        policy: lookupPolicy,
        installLatestAwsSdk: false,
      });
      return `arn:${partition}:ec2:${t.region}:${account}:launch-template/${lookup.getResponseField('LaunchTemplates.0.LaunchTemplateId')}`;
    });
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'NamedLaunchTemplates', actions: ['ec2:CreateLaunchTemplateVersion', 'ec2:ModifyLaunchTemplate'], resources: templateArns }));
    const groups = props.launchTemplates.flatMap((t) =>
      t.autoScalingGroups.map((g) => `arn:${partition}:autoscaling:${t.region}:${account}:autoScalingGroup:*:autoScalingGroupName/${g}`),
    );
    if (groups.length > 0) {
      this.role.addToPolicy(new iam.PolicyStatement({ sid: 'NamedGroups', actions: ['autoscaling:StartInstanceRefresh', 'autoscaling:CancelInstanceRefresh'], resources: groups }));
    }
    if (props.parameters?.length) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'NamedParameters',
          // Delete: a failed run whose parameter held no image before removes the one it published.
          actions: ['ssm:PutParameter', 'ssm:DeleteParameter'],
          resources: props.parameters.map((p) => `arn:${partition}:ssm:${p.region}:${account}:parameter/${p.name.replace(/^\//, '')}`),
        }),
      );
    }
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RetentionAndRefreshReads',
        actions: [
          'ec2:DescribeImageReferences',
          'ec2:DescribeLaunchTemplates',
          'ec2:DescribeLaunchTemplateVersions',
          'ec2:DescribeInstances',
          'autoscaling:DescribeAutoScalingGroups',
          'autoscaling:DescribeInstanceRefreshes',
          'ssm:GetParameter',
          'ssm:GetParameters',
        ],
        resources: ['*'],
      }),
    );
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Describe calls of EC2 and Auto Scaling have no resource-level permissions; retention reads every parameter that may name an image ' +
        '(GetParameter(s) only, never a write).',
    });
    if (groups.length > 0) {
      acknowledgeWildcards(this.role, groups, 'An Auto Scaling group ARN contains a generated id; each group is fixed by its name.');
    }

    if (props.readers?.length) this.readerRole(props);
    if (props.enforceApprovedImages) this.allowedImages(props);
    this.acknowledgeCustomResourceProvider();
  }

  /** The read-only role operators and auditors assume to see what uses the pipeline's images here. */
  private readerRole(props: GamiTargetAccountStackProps): void {
    const readers = props.readers ?? [];
    for (const arn of readers) {
      const problem = readerProblem(arn, props.toolingAccount);
      if (problem) throw new Error(`readers: ${problem}`);
    }
    this.reader = new iam.Role(this, 'ReaderRole', {
      roleName: readerRoleName(props.pipelineName),
      assumedBy: new iam.CompositePrincipal(...readers.map((arn) => new iam.ArnPrincipal(arn))),
      externalIds: [props.externalId ?? defaultExternalId(props.pipelineName)],
      description: `golden-ami-pipeline ${props.pipelineName}: what uses its images in this account (read only), for gami images and gami retention plan`,
    });
    this.reader.addToPolicy(new iam.PolicyStatement({ sid: 'ReferenceReads', actions: REFERENCE_READS, resources: ['*'] }));
    Validations.of(this.reader).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'Describe calls of EC2 and Auto Scaling have no resource-level permissions; the role only reads.' });
  }

  /** Allowed AMIs in every region of the account's templates: our watermark only, audit mode or enforced. */
  private allowedImages(props: GamiTargetAccountStackProps): void {
    const watermarkKey = `${props.toolingAccount}:${props.pipelineName}`;
    const state = props.enforceApprovedImages === 'enforce' ? 'enabled' : 'audit-mode';
    const policy = cr.AwsCustomResourcePolicy.fromStatements([
      new iam.PolicyStatement({
        actions: ['ec2:ReplaceImageCriteriaInAllowedImagesSettings', 'ec2:EnableAllowedImagesSettings', 'ec2:DisableAllowedImagesSettings'],
        resources: ['*'],
      }),
    ]);
    for (const region of [...new Set(props.launchTemplates.map((t) => t.region))]) {
      const criteria = new cr.AwsCustomResource(this, `AllowedImagesCriteria-${region}`, {
        onUpdate: {
          service: 'EC2',
          action: 'replaceImageCriteriaInAllowedImagesSettings',
          parameters: { ImageCriteria: [{ ImageWatermarks: [{ WatermarkKey: watermarkKey }] }] },
          region,
          physicalResourceId: cr.PhysicalResourceId.of(`allowed-images-criteria/${region}`),
        },
        policy,
        installLatestAwsSdk: false,
      });
      const setting = new cr.AwsCustomResource(this, `AllowedImagesState-${region}`, {
        onUpdate: {
          service: 'EC2',
          action: 'enableAllowedImagesSettings',
          parameters: { AllowedImagesSettingsState: state },
          region,
          physicalResourceId: cr.PhysicalResourceId.of(`allowed-images-state/${region}`),
        },
        // Removing the stack lifts the restriction rather than leaving an account that launches nothing.
        onDelete: { service: 'EC2', action: 'disableAllowedImagesSettings', parameters: {}, region },
        policy,
        installLatestAwsSdk: false,
      });
      setting.node.addDependency(criteria);
    }
  }

  /**
   * The AwsCustomResource provider function CDK creates (one per stack, a fixed construct id) and the policy each
   * custom resource gets: acknowledged on them only, not on the stack.
   */
  private acknowledgeCustomResourceProvider(): void {
    const provider = this.node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER_ID);
    const policies = this.node.findAll().filter((c) => c instanceof cr.AwsCustomResource);
    for (const scope of [...(provider ? [provider] : []), ...policies]) {
      Validations.of(scope).acknowledge(
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason: 'The AwsCustomResource calls (DescribeLaunchTemplates, the account-level Allowed AMIs settings) have no resource-level permissions.',
        },
      );
    }
    if (provider) {
      Validations.of(provider).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: "CDK's AwsCustomResource provider writes its own logs with the minimal managed policy.",
        },
        {
          id: 'AwsSolutions-L1',
          reason: "CDK's AwsCustomResource provider runtime is chosen by aws-cdk-lib; it is updated with the library.",
        },
      );
    }
  }
}
