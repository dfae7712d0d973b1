/**
 * One Lambda function per lifecycle task (tasks/<name>/handler.ts), each with only the permissions its task
 * needs. EC2 mutations are limited to resources carrying this pipeline's `gami:pipeline` tag, or to creating
 * resources that carry it, wherever EC2 supports those conditions; the Describe, List and Get calls have no
 * resource-level permissions in EC2, SSM and Inspector, so they take a wildcard (acknowledged for cdk-nag with
 * reason).
 *
 * Every function carries `gami:handler` metadata (entry file, export) so the local runtime can run the real
 * handler for the synthesized function without bundling. Deployed, the code is the entry's bundle from the
 * app's one esbuild pass (infra/bundle.ts).
 */
import { Duration, RemovalPolicy, Stack, Validations, type CfnResource } from 'aws-cdk-lib';
import { handlerCode, registerHandlerEntries } from './bundle';
import { acknowledgeKeyUse, acknowledgeManagedPolicy, acknowledgeWildcards } from './nag';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { PipelineConfig } from '../pipeline/config';
import { resolveImageSpec } from '../pipeline/image-spec';
import { TAG } from '../pipeline/tags';
import { FUNCTION_TIMEOUT_SECONDS, TASK_NAMES, type TaskName } from '../tasks/contracts';

export const HANDLER_METADATA_KEY = 'gami:handler';

/** Every EC2 action that changes an image or its tags: denied on approved and published images. */
export const IMAGE_MUTATIONS = [
  'ec2:CreateTags',
  'ec2:DeleteTags',
  'ec2:EnableImageDeprecation',
  'ec2:DisableImageDeprecation',
  'ec2:DeregisterImage',
  'ec2:ModifyImageAttribute',
  'ec2:ResetImageAttribute',
  'ec2:DisableImageDeregistrationProtection',
  'ec2:AttachImageWatermark',
  'ec2:DetachImageWatermark',
];
export { LOCAL_CODE_CONTEXT } from './bundle';
/** Repository-relative entry file of a task's handler. */
export function handlerEntry(task: TaskName): string {
  return `tasks/${task}/handler.ts`;
}
// Every task is bundled in the app's one esbuild pass (infra/bundle.ts).
registerHandlerEntries(...TASK_NAMES.map(handlerEntry));


/**
 * The functions that act in consumer accounts (sts:AssumeRole of GamiTargetAccountStack's role), with fixed role
 * names so that the target-account stack can trust exactly them: `gami-<pipeline>-<suffix>` (≤ 64 characters for
 * a 40-character pipeline name). cleanup rolls back the launch templates of a stopped or timed-out execution.
 */
export const CROSS_ACCOUNT_TASKS = {
  updateLaunchTemplates: 'lt-update',
  checkInstanceRefreshes: 'lt-check',
  rollbackLaunchTemplates: 'lt-rollback',
  cleanup: 'cleanup',
  // Writes the latest-image parameter in consumer accounts (publish.accounts) through the same role.
  publishImage: 'publish',
  // Reads references (instances, templates, groups, parameters) in consumer accounts through the same role.
  retention: 'retention',
} as const satisfies Partial<Record<TaskName, string>>;
export type CrossAccountTask = keyof typeof CROSS_ACCOUNT_TASKS;

/** IAM role name of a cross-account task function. */
export function crossAccountRoleName(pipelineName: string, task: CrossAccountTask): string {
  return `gami-${pipelineName}-${CROSS_ACCOUNT_TASKS[task]}`;
}

export interface TaskFunctionsProps {
  config: PipelineConfig;
  registry: dynamodb.ITableV2;
  builderRole: iam.IRole;
  /** Security groups the stack created for builders. */
  builderSecurityGroupIds: string[];
  /** The notification topic: cleanup publishes to it for executions that ended ABORTED or TIMED_OUT. */
  topic?: sns.ITopic;
}

export class TaskFunctions extends Construct {
  readonly functions: Record<TaskName, lambda.Function>;

  constructor(scope: Construct, id: string, props: TaskFunctionsProps) {
    super(scope, id);
    const { config } = props;
    const functions = {} as Record<TaskName, lambda.Function>;
    for (const task of TASK_NAMES) {
      const logGroup = new logs.LogGroup(this, `${task}Logs`, {
        retention: logs.RetentionDays.ONE_YEAR,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      let role: iam.Role | undefined;
      if (task in CROSS_ACCOUNT_TASKS) {
        role = new iam.Role(this, `${task}ServiceRole`, {
          roleName: crossAccountRoleName(config.name, task as CrossAccountTask),
          assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
          managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
          description: `golden-ami-pipeline ${config.name}: ${task}, trusted by GamiTargetAccountStack in consumer accounts`,
        });
        acknowledgeManagedPolicy(role, 'service-role/AWSLambdaBasicExecutionRole', 'The minimal managed policy that lets the function write its own logs.');
      }
      const common: lambda.FunctionOptions & { runtime: lambda.Runtime } = {
        role,
        description: `golden-ami-pipeline ${config.name}: ${task}`,
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 256,
        timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS[task]),
        tracing: lambda.Tracing.ACTIVE,
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
        environment: {
          POWERTOOLS_SERVICE_NAME: `gami-${config.name}`,
          NODE_OPTIONS: '--enable-source-maps',
        },
      };
      const fn = new lambda.Function(this, task, { ...common, handler: 'index.handler', code: handlerCode(this, handlerEntry(task)) });
      (fn.node.defaultChild as CfnResource).addMetadata(HANDLER_METADATA_KEY, { entry: handlerEntry(task), export: 'handler' });
      functions[task] = fn;
    }
    this.functions = functions;
    this.grantPermissions(props);
  }

  private grantPermissions(props: TaskFunctionsProps): void {
    const { config, registry, builderRole, builderSecurityGroupIds } = props;
    const f = this.functions;
    const { partition, region, account } = Stack.of(this);
    const ec2Arn = (resource: string, withAccount = true) => `arn:${partition}:ec2:${region}:${withAccount ? account : ''}:${resource}`;
    const tagged = { StringEquals: { [`aws:ResourceTag/${TAG.pipeline}`]: config.name } };
    const taggingNew = { StringEquals: { [`aws:RequestTag/${TAG.pipeline}`]: config.name } };
    // Wildcard resources granted per function, acknowledged for cdk-nag below with the reason they are needed.
    const wildcards = new Map<lambda.IFunction, string[]>();
    const allow = (fn: lambda.IFunction, actions: string[], resources: string[], conditions?: Record<string, Record<string, unknown>>) => {
      fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources, conditions }));
      wildcards.set(fn, [...(wildcards.get(fn) ?? []), ...resources.filter((r) => r.includes('*'))]);
    };
    const describe = (fn: lambda.IFunction, actions: string[]) => allow(fn, actions, ['*']);
    const anyRegionEc2 = (resource: string) => `arn:${partition}:ec2:*:${resource.startsWith('image/') || resource.startsWith('snapshot/') ? '' : account}:${resource}`;
    const spec = resolveImageSpec(config);

    // prepare: resolve the base image, allocate the version (DescribeImages also reads the account's own
    // images' versions). Parameters: only AWS's public ones, and the one the config names — never any other
    // parameter of the account (a run's input may name a parameter; prepare refuses others too).
    describe(f.prepare, ['ec2:DescribeImages']);
    allow(f.prepare, ['ssm:GetParameter'], [
      `arn:${partition}:ssm:${region}::parameter/aws/service/*`,
      ...('ssmParameter' in config.baseImage && !config.baseImage.ssmParameter.startsWith('/aws/service/')
        ? [`arn:${partition}:ssm:${region}:${account}:parameter${config.baseImage.ssmParameter}`]
        : []),
    ]);

    // launchInstance: instances and volumes only with this pipeline's tag; the builder role only to EC2.
    allow(f.launchInstance, ['ec2:RunInstances'], [ec2Arn('instance/*'), ec2Arn('volume/*'), ec2Arn('network-interface/*')], taggingNew);
    allow(f.launchInstance, ['ec2:RunInstances'], [
      ec2Arn('image/*', false),
      ec2Arn(`subnet/${config.build.subnetId}`),
      ...[...config.build.securityGroupIds, ...builderSecurityGroupIds].map((sg) => ec2Arn(`security-group/${sg}`)),
    ]);
    allow(f.launchInstance, ['ec2:CreateTags'], [ec2Arn('instance/*'), ec2Arn('volume/*'), ec2Arn('network-interface/*')], {
      StringEquals: { 'ec2:CreateAction': 'RunInstances' },
    });
    allow(f.launchInstance, ['iam:PassRole'], [builderRole.roleArn], { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });

    // Reads the base image's block device mapping, boot mode and TPM support (the image spec's checks).
    describe(f.launchInstance, ['ec2:DescribeImages']);
    // The builder's volumes are encrypted with the spec's customer managed key: EC2 uses it on the launcher's
    // behalf (kms:ViaService), through a grant for the volume.
    if (spec.encrypted && spec.kmsKeyAlias) {
      allow(
        f.launchInstance,
        ['kms:DescribeKey', 'kms:Decrypt', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
        [`arn:${partition}:kms:${region}:${account}:key/*`],
        { StringEquals: { 'kms:ViaService': `ec2.${region}.amazonaws.com` }, 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [spec.kmsKeyAlias] } },
      );
      allow(f.launchInstance, ['kms:CreateGrant'], [`arn:${partition}:kms:${region}:${account}:key/*`], {
        StringEquals: { 'kms:ViaService': `ec2.${region}.amazonaws.com` },
        Bool: { 'kms:GrantIsForAWSResource': true },
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [spec.kmsKeyAlias] },
      });
    }

    describe(f.checkInstanceReady, ['ec2:DescribeInstances', 'ssm:DescribeInstanceInformation']);

    allow(f.runStep, ['ssm:SendCommand'], [`arn:${partition}:ssm:${region}::document/AWS-RunShellScript`]);
    allow(f.runStep, ['ssm:SendCommand'], [ec2Arn('instance/*')], { StringEquals: { [`ssm:resourceTag/${TAG.pipeline}`]: config.name } });
    // ListCommands finds an attempt already sent, so a retried runStep sends nothing twice.
    describe(f.runStep, ['ssm:ListCommands']);
    describe(f.checkStep, ['ssm:GetCommandInvocation']);

    describe(f.createImage, ['ec2:DescribeImages']);
    allow(f.createImage, ['ec2:CreateImage'], [ec2Arn('instance/*')], tagged);
    allow(f.createImage, ['ec2:CreateImage'], [ec2Arn('image/*', false), ec2Arn('snapshot/*', false)], taggingNew);
    allow(f.createImage, ['ec2:CreateTags'], [ec2Arn('image/*', false), ec2Arn('snapshot/*', false)], {
      StringEquals: { 'ec2:CreateAction': 'CreateImage' },
    });
    describe(f.checkImage, ['ec2:DescribeImages']);
    // Marks the available image IMDSv2-only (image.imdsSupport v2.0); only this pipeline's images.
    allow(f.checkImage, ['ec2:ModifyImageAttribute'], [ec2Arn('image/*', false)], tagged);

    // Named instances are checked for this execution's tag (DescribeTags) before they are terminated.
    describe(f.terminateInstances, ['ec2:DescribeInstances', 'ec2:DescribeTags']);
    allow(f.terminateInstances, ['ec2:TerminateInstances'], [ec2Arn('instance/*')], tagged);

    // recordInventory reads the instances' SSM Inventory (no resource-level permissions) and writes one item.
    describe(f.recordInventory, ['ssm:ListInventoryEntries']);

    describe(f.checkScanCoverage, ['inspector2:ListCoverage']);
    describe(f.evaluateScanGate, ['inspector2:ListFindings']);

    describe(f.cleanup, ['ec2:DescribeInstances', 'ec2:DescribeImages', 'ec2:DescribeTags', 'ec2:DescribeSnapshots']);
    allow(f.cleanup, ['ec2:TerminateInstances', 'ec2:CreateTags', 'ec2:EnableImageDeprecation'], [ec2Arn('instance/*'), ec2Arn('image/*', false)], tagged);
    // The copies of a failed run, in every target region, and their snapshots.
    allow(f.cleanup, ['ec2:DeregisterImage', 'ec2:DeleteSnapshot'], [anyRegionEc2('image/*'), anyRegionEc2('snapshot/*')], tagged);

    // ---- distribution: copies in the target regions, shares, parameters ----
    const keyAliases = [
      ...new Set(
        [spec.encrypted ? spec.kmsKeyAlias : undefined, ...config.distribution.targetRegions.map((t) => t.kmsKeyAlias)].filter((a): a is string => a !== undefined),
      ),
    ];
    const anyRegionKey = `arn:${partition}:kms:*:${account}:key/*`;
    describe(f.copyImage, ['ec2:DescribeImages', 'ec2:DescribeTags']);
    describe(f.checkCopy, ['ec2:DescribeImages']);
    // CopyImage reads the source image (this pipeline's) and creates the copy, which must carry the pipeline tag.
    allow(f.copyImage, ['ec2:CopyImage'], [anyRegionEc2('image/*')], tagged);
    allow(f.copyImage, ['ec2:CopyImage'], [anyRegionEc2('image/*'), anyRegionEc2('snapshot/*')], taggingNew);
    allow(f.copyImage, ['ec2:CreateTags'], [anyRegionEc2('image/*'), anyRegionEc2('snapshot/*')], { StringEquals: { 'ec2:CreateAction': 'CopyImage' } });
    // A released speculative copy is re-tagged distributing; a failed copy of this run is deregistered before the retry.
    allow(f.copyImage, ['ec2:CreateTags', 'ec2:DeregisterImage', 'ec2:DeleteSnapshot'], [anyRegionEc2('image/*'), anyRegionEc2('snapshot/*')], tagged);
    if (keyAliases.length > 0) {
      // EC2 decrypts the source snapshots and encrypts the copies with each region's key, on the caller's behalf.
      allow(
        f.copyImage,
        ['kms:DescribeKey', 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:CreateGrant'],
        [anyRegionKey],
        { StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' }, 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': keyAliases } },
      );
      // Grants for the consumer accounts on the regions' keys (and the key lookup by alias).
      allow(f.shareImage, ['kms:DescribeKey', 'kms:CreateGrant'], [anyRegionKey], { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': keyAliases } });
    }
    describe(f.shareImage, ['ec2:DescribeImageAttribute']);
    allow(f.shareImage, ['ec2:ModifyImageAttribute'], [anyRegionEc2('image/*')], tagged);
    allow(f.shareImage, ['ec2:ModifySnapshotAttribute'], [anyRegionEc2('snapshot/*')], tagged);
    if (config.publish) {
      const parameter = config.publish.ssmParameter;
      // Reads the version of the image a parameter holds, so a publish never moves it back.
      describe(f.publishImage, ['ec2:DescribeImages']);
      // DeleteParameter: the failure path's restore removes a parameter the run created (it held no image before).
      allow(f.publishImage, ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'], [`arn:${partition}:ssm:*:${account}:parameter${parameter}`]);
      // cleanup restores the parameter after a stopped or timed-out run that published it.
      allow(f.cleanup, ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'], [`arn:${partition}:ssm:*:${account}:parameter${parameter}`]);
      if (config.publish.accounts.length > 0) {
        allow(f.publishImage, ['sts:AssumeRole'], config.publish.accounts.map((a) => `arn:${partition}:iam::${a.account}:role/${a.roleName}`));
        allow(f.cleanup, ['sts:AssumeRole'], config.publish.accounts.map((a) => `arn:${partition}:iam::${a.account}:role/${a.roleName}`));
      }
    }
    if (props.topic) {
      props.topic.grantPublish(f.cleanup);
      acknowledgeKeyUse(f.cleanup);
      if (f.cleanup.role) acknowledgeKeyUse(f.cleanup.role);
      // requestApproval emails each approver through the topic (message attribute `approver`).
      props.topic.grantPublish(f.requestApproval);
      acknowledgeKeyUse(f.requestApproval);
    }

    // requestApproval: the base image's lineage (DescribeImages), then this pipeline's image tagged
    // awaiting-approval or distributing — only those two values, only on images carrying the pipeline's tag.
    // Neither is a protected status, so the Deny below does not apply and no exemption is needed here: the
    // approval decision moves the image to `distributing`; `approved` is set by the last distribution step.
    describe(f.requestApproval, ['ec2:DescribeImages']);
    allow(f.requestApproval, ['ec2:CreateTags'], [ec2Arn('image/*', false)], {
      StringEquals: { [`aws:ResourceTag/${TAG.pipeline}`]: config.name },
      'ForAllValues:StringEquals': { 'aws:TagKeys': [TAG.status] },
      'StringEqualsIfExists': { [`aws:RequestTag/${TAG.status}`]: ['awaiting-approval', 'distributing'] },
    });

    // Launch templates in consumer accounts: only through the role GamiTargetAccountStack deploys there (with the
    // pipeline's ExternalId); that role is limited to the named templates and groups.
    const targetRoles = [...new Set(config.launchTemplates.map((t) => `arn:${partition}:iam::${t.account}:role/${t.roleName}`))];
    if (targetRoles.length > 0) {
      // publishImage assumes only the roles of publish.accounts, retention those of every consumer account (below).
      for (const task of Object.keys(CROSS_ACCOUNT_TASKS) as CrossAccountTask[]) {
        if (task !== 'publishImage' && task !== 'retention') allow(f[task], ['sts:AssumeRole'], targetRoles);
      }
    }
    // The stage's records of each template change (previous default, new version, refreshes), read by rollbacks.
    registry.grant(f.updateLaunchTemplates, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    // Reads the version tag of the image a template's default launches (never a step back to an older image).
    describe(f.updateLaunchTemplates, ['ec2:DescribeImages']);
    registry.grant(f.rollbackLaunchTemplates, 'dynamodb:Query', 'dynamodb:UpdateItem');
    registry.grant(f.cleanup, 'dynamodb:Query', 'dynamodb:UpdateItem');

    // markApproved: watermark, deregistration protection and the approved tag on this pipeline's own images, in
    // the source and every target region (copies live in this account).
    const imageRegions = [config.distribution.sourceRegion, ...config.distribution.targetRegions.map((t) => t.region)];
    const imageArns = [...new Set(imageRegions)].map((r) => `arn:${partition}:ec2:${r}::image/*`);
    describe(f.markApproved, ['ec2:DescribeImages']);
    allow(f.markApproved, ['ec2:AttachImageWatermark', 'ec2:EnableImageDeregistrationProtection', 'ec2:CreateTags'], imageArns, tagged);
    // retention: reads images, references, templates, groups, instances and snapshots in every region (its
    // consumer-account reads go through the target-account role, which allows the same reads there); changes
    // only this pipeline's images and snapshots, in any region (copies live in the target regions).
    describe(f.retention, [
      'ec2:DescribeImages',
      'ec2:DescribeImageReferences',
      'ec2:DescribeLaunchTemplates',
      'ec2:DescribeLaunchTemplateVersions',
      'ec2:DescribeInstances',
      'ec2:DescribeSnapshots',
      'autoscaling:DescribeAutoScalingGroups',
    ]);
    const anyRegionImage = `arn:${partition}:ec2:*::image/*`;
    allow(f.retention, ['ec2:EnableImageDeprecation', 'ec2:DeregisterImage'], [anyRegionImage], tagged);
    allow(f.retention, ['ec2:CreateTags'], [anyRegionImage], {
      ...tagged,
      'ForAllValues:StringEquals': { 'aws:TagKeys': [TAG.status] },
    });
    allow(f.retention, ['ec2:DeleteSnapshot'], [`arn:${partition}:ec2:*::snapshot/*`], tagged);
    if (config.publish) {
      allow(f.retention, ['ssm:GetParameter'], [`arn:${partition}:ssm:${config.distribution.sourceRegion}:${account}:parameter${config.publish.ssmParameter}`]);
    }
    const consumerRoles = new Map<string, string>();
    for (const t of config.launchTemplates) if (!consumerRoles.has(t.account)) consumerRoles.set(t.account, t.roleName);
    for (const a of config.sharing.accounts) if (!consumerRoles.has(a)) consumerRoles.set(a, 'GamiLaunchTemplateUpdater');
    if (consumerRoles.size > 0) {
      allow(f.retention, ['sts:AssumeRole'], [...consumerRoles].map(([a, role]) => `arn:${partition}:iam::${a}:role/${role}`));
    }

    // No task may touch an image once it is approved or published (the golden image production launches),
    // nor make one so: an explicit Deny wins over every Allow above, whatever a handler does.
    //
    // Narrow exemptions: shareImage and retention (below), and markApproved, which may tag an image approved (the second Deny is narrowed for it to `published`
    // only). It keeps the first Deny: once an image is approved it can change nothing on it either, which is why it
    // watermarks and protects the image BEFORE tagging it (tasks/markApproved), and skips what is already done.
    const protectedStatuses = ['approved', 'published'];
    for (const [task, fn] of Object.entries(f)) {
      // Retention retires approved and published images — it may deprecate and deregister them and set their
      // status tag to deprecated or retired, and nothing else (no other tag, no other status, no attribute, no
      // lifting of deregistration protection). Which image it retires is the planner's (never the current golden
      // image, never one in use), which IAM cannot express.
      const retiring = fn === f.retention ? ['ec2:CreateTags', 'ec2:EnableImageDeprecation', 'ec2:DeregisterImage'] : [];
      // shareImage may change launch permissions of approved images, because a redistribution (distributeOnly)
      // shares an already approved image with a new account or organizational unit. Its handler calls
      // ModifyImageAttribute with LaunchPermission only; every other mutation stays denied.
      const exempt = task === 'shareImage' ? ['ec2:ModifyImageAttribute'] : retiring;
      const deny = (actions: string[], resources: string[], conditions: Record<string, Record<string, unknown>>) =>
        fn.addToRolePolicy(new iam.PolicyStatement({ effect: iam.Effect.DENY, actions, resources, conditions }));
      const onProtected = { StringEquals: { [`aws:ResourceTag/${TAG.status}`]: protectedStatuses } };
      // Every region: the copies are golden images too.
      deny(IMAGE_MUTATIONS.filter((a) => !exempt.includes(a)), [anyRegionImage], onProtected);
      if (fn === f.retention) {
        // Of the tags, only gami:status, and only to deprecated or retired: two statements, as IAM ANDs the
        // conditions within one.
        deny(['ec2:CreateTags'], [anyRegionImage], { ...onProtected, StringNotEquals: { [`aws:RequestTag/${TAG.status}`]: ['deprecated', 'retired'] } });
        deny(['ec2:CreateTags'], [anyRegionImage], { ...onProtected, 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': [TAG.status] } });
      }
      deny(['ec2:CreateTags'], ['*'], { StringEquals: { [`aws:RequestTag/${TAG.status}`]: task === 'markApproved' ? ['published'] : protectedStatuses } });
    }

    // prepare finds this execution's own IMAGE record first (a retry keeps its version), then allocates.
    registry.grant(f.prepare, 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem');
    registry.grant(f.recordStage, 'dynamodb:UpdateItem');
    registry.grant(f.evaluateScanGate, 'dynamodb:PutItem');
    // The image's inventory item reads its base's to record what changed.
    registry.grant(f.recordInventory, 'dynamodb:GetItem', 'dynamodb:PutItem');
    // runStep claims each step attempt so concurrent invocations send one command.
    registry.grant(f.runStep, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    // cleanup finds the run's record by execution and marks it failed; it expires the run's pending approval.
    registry.grant(f.cleanup, 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem');
    // requestApproval reads the run's scan and inventory items and the previous approved image (Query), writes
    // the approval record and its pointer, swaps the token of a retried request.
    registry.grant(f.requestApproval, 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    // retention stores its batches and report, reads them back, marks retired versions' records.
    registry.grant(f.retention, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query');

    for (const fn of Object.values(f)) {
      // A cross-account function's role is its own construct (fixed name), not the function's child.
      const scopes = fn.role && fn.role.node.scope !== fn ? [fn, fn.role] : [fn];
      for (const scope of scopes) acknowledgeWildcards(
        scope,
        // X-Ray's PutTraceSegments/PutTelemetryRecords (tracing ACTIVE) take only "*".
        ['*', ...(wildcards.get(fn) ?? [])],
        'Describe, List and Get calls of EC2, SSM and Inspector, and X-Ray writes, have no resource-level permissions; ' +
          'EC2 instance/volume/image/snapshot ARNs are wildcarded only together with a gami:pipeline tag condition ' +
          'or an ec2:CreateAction condition; base images may come from any SSM parameter the config names.',
      );
      acknowledgeManagedPolicy(fn, 'service-role/AWSLambdaBasicExecutionRole', 'The minimal managed policy that lets the function write its own logs.');
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-L1',
        reason: 'nodejs22.x is the runtime the handlers are built and tested for (esbuild target node22); moving to a newer runtime is a tested change.',
      });
    }
  }
}
