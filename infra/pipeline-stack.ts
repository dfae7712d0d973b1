/**
 * One stack per pipeline file, in the pipeline's source region, each resource configured as production wants it:
 *   - notification topic: KMS-encrypted (customer key, rotated), TLS enforced, email subscriptions;
 *   - registry table: on-demand, point-in-time recovery, deletion protection, retained;
 *   - state machine log group: retained for a year, for auditors;
 *   - builder/test instance role with SSM core only, and its instance profile (named in the config);
 *   - one Lambda per lifecycle task (least privilege) and the lifecycle state machine;
 *   - an EventBridge rule that sends executions ending ABORTED or TIMED_OUT (no Catch runs then) to cleanup;
 *   - an SSM Inventory association on the pipeline's instances (the package inventory of every image);
 *   - when approval is required: the approval API (HTTP API + one Lambda, signing key in Secrets Manager) and
 *     one filtered email subscription per approver.
 *   - the RetentionSweep state machine and its EventBridge Scheduler schedule (retention.sweepSchedule, daily
 *     by default), which retires old images of the pipeline in every region and account (docs/retention.md).
 *   - the history archive: on every terminal execution status an EventBridge rule runs archiveExecution, which
 *     stores the full history and the run's registry items in a bucket (versioned, encrypted, TLS only, no
 *     public access, access-logged to a second bucket, moved to cheaper storage over time, optionally Object
 *     Locked) — Step Functions keeps history for 90 days, auditors need it for years;
 *   - the schedule (config `schedule`): an EventBridge Scheduler schedule that starts the state machine with
 *     `{reason, requestedBy, onlyWhenChanged}` on the cron expression in its time zone, enabled or not;
 *   - freshness: every hour reportFreshness puts the newest approved image's age in days as a metric; an alarm
 *     notifies the topic when it exceeds `freshness.maxAgeDays` or there is no approved image.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, Tags, Validations, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import { crossAccountExternalId } from '../pipeline/cross-account';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { LoadedPipeline } from '../pipeline/validate';
import { TAG } from '../pipeline/tags';
import { GoldenAmiWorkflow } from '../workflows/golden-ami';
import { RetentionSweep } from '../workflows/retention-sweep';
import { acknowledgeKeyUse, acknowledgeManagedPolicy, acknowledgeWildcards } from './nag';
import { ApprovalApi } from './approval-api';
import { FRESHNESS_METRIC, FRESHNESS_NAMESPACE } from '../tasks/reportFreshness/freshness';
import { TaskFunctions } from './task-functions';

export interface PipelineStackProps extends StackProps {
  pipeline: LoadedPipeline;
}

/** Names of the stack's resources, derived from the pipeline name (the local runtime uses them too). */
export function resourceNames(pipelineName: string) {
  return {
    stack: `gami-${pipelineName}`,
    topic: `gami-${pipelineName}-notifications`,
    registryTable: `gami-registry-${pipelineName}`,
    logGroup: `/aws/vendedlogs/states/gami-${pipelineName}`,
    stateMachine: `gami-${pipelineName}`,
    retentionSweep: `gami-${pipelineName}-retention-sweep`,
    retentionSchedule: `gami-${pipelineName}-retention-sweep`,
    builderRole: `gami-${pipelineName}-builder`,
    /** Bucket names are global: the account and region make them unique (S3 allows 63 characters; names ≤ 40). */
    historyBucket: (account: string, region: string) => `gami-history-${pipelineName}-${account}-${region}`,
  };
}

export class PipelineStack extends Stack {
  readonly topic: sns.Topic;
  readonly registry: dynamodb.TableV2;
  readonly logGroup: logs.LogGroup;
  readonly pipeline: LoadedPipeline;
  readonly builderRole: iam.Role;
  readonly tasks: TaskFunctions;
  readonly workflow: GoldenAmiWorkflow;
  readonly abortedRule: events.Rule;
  readonly approvalApi?: ApprovalApi;
  readonly retentionSweep: RetentionSweep;
  readonly retentionSchedule: scheduler.Schedule;
  readonly historyBucket: s3.Bucket;
  readonly archiveRule: events.Rule;
  readonly freshnessAlarm: cloudwatch.Alarm;
  readonly schedule?: scheduler.CfnSchedule;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    this.pipeline = props.pipeline;
    const config = props.pipeline.config;
    const names = resourceNames(config.name);
    Tags.of(this).add(TAG.pipeline, config.name);
    for (const [key, value] of Object.entries(config.tags)) Tags.of(this).add(key, value);

    const topicKey = new kms.Key(this, 'NotificationKey', {
      description: `Encrypts the ${config.name} golden-AMI pipeline notification topic`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.topic = new sns.Topic(this, 'Notifications', {
      topicName: names.topic,
      displayName: `Golden AMI ${config.name}`,
      masterKey: topicKey,
      enforceSSL: true,
    });
    // One email subscription per address. Approval requests carry the message attribute `approver`: each
    // approver's subscription lets through only their own (their personal link); everyone else's only messages
    // without the attribute (failures, results). An address that is both gets both, in one subscription.
    const approvers = config.approval.required ? config.approval.approvers : [];
    for (const email of new Set([...approvers, ...config.notifications.emails])) {
      const conditions: unknown[] = [];
      if (approvers.includes(email)) conditions.push(email);
      if (config.notifications.emails.includes(email)) conditions.push({ exists: false });
      this.topic.addSubscription(new subscriptions.EmailSubscription(email, { filterPolicy: { approver: new sns.SubscriptionFilter(conditions) } }));
    }

    this.registry = new dynamodb.TableV2(this, 'Registry', {
      tableName: names.registryTable,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // Short-lived items (runStep's claims) carry `ttl`; image records never do.
      timeToLiveAttribute: 'ttl',
    });

    this.logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      logGroupName: names.logGroup,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Builders and test instances only need the SSM agent's permissions (RunCommand, inventory for Inspector).
    this.builderRole = new iam.Role(this, 'BuilderRole', {
      roleName: names.builderRole,
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
      description: `Builder and test instances of the ${config.name} golden-AMI pipeline`,
    });
    acknowledgeManagedPolicy(
      this.builderRole,
      'AmazonSSMManagedInstanceCore',
      'The documented minimum for SSM Run Command and for Inspector agent-based scanning of the test instance.',
    );
    new iam.InstanceProfile(this, 'BuilderInstanceProfile', {
      instanceProfileName: config.build.instanceProfile,
      role: this.builderRole,
    });

    // No ingress at all: builders are reached through SSM. Egress only for HTTPS (SSM, Inspector, package
    // repositories) and HTTP (Debian/Ubuntu mirrors).
    const builderSecurityGroupIds: string[] = [];
    if (config.build.vpcId) {
      const group = new ec2.CfnSecurityGroup(this, 'BuilderSecurityGroup', {
        groupDescription: `Builder and test instances of ${config.name}: no ingress`,
        vpcId: config.build.vpcId,
        securityGroupEgress: [
          { ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIp: '0.0.0.0/0', description: 'HTTPS: SSM, Inspector, package repositories' },
          { ipProtocol: 'tcp', fromPort: 80, toPort: 80, cidrIp: '0.0.0.0/0', description: 'HTTP: distribution mirrors' },
        ],
      });
      builderSecurityGroupIds.push(group.attrGroupId);
    }

    // SSM Inventory of the builder and test instances (the package inventory recorded with every image, and
    // what Amazon Inspector scans): AWS-GatherSoftwareInventory on every instance tagged with this pipeline,
    // applied as soon as one becomes managed and every 30 minutes after.
    new ssm.CfnAssociation(this, 'SoftwareInventory', {
      name: 'AWS-GatherSoftwareInventory',
      associationName: `gami-${config.name}-software-inventory`,
      targets: [{ key: `tag:${TAG.pipeline}`, values: [config.name] }],
      scheduleExpression: 'rate(30 minutes)',
      parameters: { applications: ['Enabled'], awsComponents: ['Enabled'], networkConfig: ['Disabled'], windowsUpdates: ['Disabled'], instanceDetailedInformation: ['Enabled'], services: ['Disabled'], windowsRoles: ['Disabled'], customInventory: ['Disabled'], billingInfo: ['Disabled'] },
    });

    this.tasks = new TaskFunctions(this, 'Tasks', {
      config,
      registry: this.registry,
      builderRole: this.builderRole,
      builderSecurityGroupIds,
      topic: this.topic,
    });
    this.workflow = new GoldenAmiWorkflow(this, 'Lifecycle', {
      pipeline: props.pipeline,
      functions: this.tasks.functions,
      topic: this.topic,
      logGroup: this.logGroup,
      registryTableName: names.registryTable,
      stateMachineName: names.stateMachine,
      builderSecurityGroupIds,
    });

    // The approval API (when a person must approve): pages, decisions, the signing key of the links.
    if (config.approval.required) {
      this.approvalApi = new ApprovalApi(this, 'Approval', {
        pipelineName: config.name,
        registry: this.registry,
        registryTableName: names.registryTable,
        stateMachine: this.workflow.stateMachine,
      });
      const request = this.tasks.functions.requestApproval;
      request.addEnvironment('GAMI_APPROVAL_SECRET', this.approvalApi.signingKey.secretArn);
      request.addEnvironment('GAMI_APPROVAL_BASE_URL', this.approvalApi.baseUrl);
      this.approvalApi.signingKey.grantRead(request);
      // A retried request whose approval was decided meanwhile answers its own token with the recorded decision.
      // The ARN is built from the name: a reference to the state machine would make a cycle (it invokes this function).
      request.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
          resources: [`arn:${this.partition}:states:${this.region}:${this.account}:stateMachine:${names.stateMachine}`],
        }),
      );
      new CfnOutput(this, 'ApprovalApiUrl', { value: this.approvalApi.baseUrl });
      new CfnOutput(this, 'ApprovalIamDecisionArn', {
        value: this.approvalApi.api.arnForExecuteApi('POST', '/approvals/*/iam-decision', '$default'),
        description: 'Grant execute-api:Invoke on this to IAM principals that approve with gami approve|reject',
      });
    }

    // Stopped (StopExecution) and timed-out executions skip every Catch, on AWS as locally: the same cleanup
    // function cleans up after them, marks the record and notifies (tasks/cleanup, status-change mode).
    const cleanup = this.tasks.functions.cleanup;
    cleanup.addEnvironment('GAMI_PIPELINE', config.name);
    cleanup.addEnvironment('GAMI_REGISTRY_TABLE', names.registryTable);
    cleanup.addEnvironment('GAMI_TOPIC_ARN', this.topic.topicArn);
    cleanup.addEnvironment('GAMI_COPY_REGIONS', config.distribution.targetRegions.map((t) => t.region).join(','));
    if (config.publish) {
      // A stopped run that published: its latest-image parameters go back to what they held (tasks/cleanup).
      const publish = { parameterName: config.publish.ssmParameter, accounts: config.publish.accounts.map(({ account, roleName }) => ({ account, roleName })), externalId: crossAccountExternalId(config.name) };
      cleanup.addEnvironment('GAMI_PUBLISH', JSON.stringify(publish));
    }
    this.abortedRule = new events.Rule(this, 'AbortedOrTimedOut', {
      description: `Clean up after ${config.name} executions that were stopped or timed out`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ['ABORTED', 'TIMED_OUT'], stateMachineArn: [this.workflow.stateMachine.stateMachineArn] },
      },
      targets: [new targets.LambdaFunction(cleanup, { retryAttempts: 8, maxEventAge: Duration.hours(6) })],
    });

    // History beyond 90 days: every closed execution's history and registry items, archived to S3.
    const accessLogs = new s3.Bucket(this, 'HistoryAccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access log bucket of the history bucket; logging it into itself would loop.',
    });
    const lock = config.history.objectLock;
    this.historyBucket = new s3.Bucket(this, 'History', {
      bucketName: names.historyBucket(this.account, this.region),
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'history/',
      objectLockEnabled: lock !== undefined ? true : undefined,
      objectLockDefaultRetention:
        lock === undefined
          ? undefined
          : lock.mode === 'COMPLIANCE'
            ? s3.ObjectLockRetention.compliance(Duration.days(lock.days))
            : s3.ObjectLockRetention.governance(Duration.days(lock.days)),
      lifecycleRules: [
        {
          id: 'cheaper-storage-over-time',
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(config.history.infrequentAccessAfterDays) },
            { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(config.history.glacierAfterDays) },
          ],
          noncurrentVersionTransitions: [{ storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(30) }],
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const archive = this.tasks.functions.archiveExecution;
    archive.addEnvironment('GAMI_PIPELINE', config.name);
    archive.addEnvironment('GAMI_REGISTRY_TABLE', names.registryTable);
    archive.addEnvironment('GAMI_ARCHIVE_BUCKET', this.historyBucket.bucketName);
    this.historyBucket.grantPut(archive, 'executions/*');
    this.registry.grantReadData(archive);
    const executions = `arn:${this.partition}:states:${this.region}:${this.account}:execution:${names.stateMachine}:*`;
    archive.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:DescribeExecution', 'states:GetExecutionHistory'], resources: [executions] }));
    archive.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:DescribeStateMachine'], resources: [this.workflow.stateMachine.stateMachineArn] }));
    acknowledgeWildcards(archive, [executions, `${this.historyBucket.bucketArn}/executions/*`], 'Every execution of this pipeline\'s own state machine, and the archive prefix of its own history bucket.');
    acknowledgeWildcards(archive, [`${this.registry.tableArn}/index/*`], 'CDK\'s grantReadData covers the registry table\'s indexes.');
    Validations.of(archive).acknowledge({ id: 'AwsSolutions-IAM5[Action::s3:Abort*]', reason: 'CDK\'s grantPut: aborting its own multipart uploads, on the archive prefix only.' });
    this.archiveRule = new events.Rule(this, 'ArchiveClosedExecutions', {
      description: `Archive the full history of every closed ${config.name} execution (Step Functions keeps it 90 days)`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [this.workflow.stateMachine.stateMachineArn] },
      },
      targets: [new targets.LambdaFunction(archive, { retryAttempts: 8, maxEventAge: Duration.hours(24) })],
    });

    // The schedule: EventBridge Scheduler starts a run; with onlyWhenChanged, Prepare skips (and records) a run
    // whose base image and components are those of the last approved image.
    let scheduleRole: iam.Role | undefined;
    if (config.schedule) {
      const schedule = config.schedule;
      const role = new iam.Role(this, 'ScheduleRole', {
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': this.account } } }),
        description: `EventBridge Scheduler starts runs of the ${config.name} golden-AMI pipeline`,
      });
      this.workflow.stateMachine.grantStartExecution(role);
      scheduleRole = role;
      this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
        name: names.stateMachine,
        description: `Scheduled runs of the ${config.name} golden-AMI pipeline`,
        scheduleExpression: schedule.cron,
        scheduleExpressionTimezone: schedule.timeZone,
        state: schedule.enabled ? 'ENABLED' : 'DISABLED',
        flexibleTimeWindow: { mode: 'OFF' },
        target: {
          arn: this.workflow.stateMachine.stateMachineArn,
          roleArn: role.roleArn,
          input: JSON.stringify({
            reason: `scheduled run (${schedule.cron} ${schedule.timeZone})`,
            requestedBy: `EventBridge Scheduler ${names.stateMachine}`,
            onlyWhenChanged: schedule.onlyWhenChanged,
          }),
          retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
        },
      });
    }

    // schedule.disableAfterFailures: watchSchedule counts consecutive unsuccessful runs on every one that ends
    // so, disables the schedule at the limit and notifies once.
    const watch = this.tasks.functions.watchSchedule;
    if (config.schedule?.disableAfterFailures !== undefined && scheduleRole) {
      const scheduleArn = `arn:${this.partition}:scheduler:${this.region}:${this.account}:schedule/default/${names.stateMachine}`;
      watch.addEnvironment('GAMI_PIPELINE', config.name);
      watch.addEnvironment('GAMI_SCHEDULE_NAME', names.stateMachine);
      watch.addEnvironment('GAMI_DISABLE_AFTER_FAILURES', String(config.schedule.disableAfterFailures));
      watch.addEnvironment('GAMI_TOPIC_ARN', this.topic.topicArn);
      watch.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: [this.workflow.stateMachine.stateMachineArn] }));
      watch.addToRolePolicy(new iam.PolicyStatement({ actions: ['scheduler:GetSchedule', 'scheduler:UpdateSchedule'], resources: [scheduleArn] }));
      // UpdateSchedule passes the schedule's own role again.
      watch.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [scheduleRole.roleArn], conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } } }),
      );
      this.topic.grantPublish(watch);
      acknowledgeKeyUse(watch);
      new events.Rule(this, 'WatchScheduleFailures', {
        description: `Disable the ${config.name} schedule after ${config.schedule.disableAfterFailures} consecutive unsuccessful runs`,
        eventPattern: {
          source: ['aws.states'],
          detailType: ['Step Functions Execution Status Change'],
          detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [this.workflow.stateMachine.stateMachineArn] },
        },
        targets: [new targets.LambdaFunction(watch, { retryAttempts: 8, maxEventAge: Duration.hours(6) })],
      });
    }

    // Freshness: the newest approved image's age, hourly, and an alarm over freshness.maxAgeDays.
    const freshness = this.tasks.functions.reportFreshness;
    freshness.addEnvironment('GAMI_PIPELINE', config.name);
    freshness.addEnvironment('GAMI_REGISTRY_TABLE', names.registryTable);
    this.registry.grantReadData(freshness);
    freshness.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['cloudwatch:PutMetricData'], resources: ['*'], conditions: { StringEquals: { 'cloudwatch:namespace': FRESHNESS_NAMESPACE } } }),
    );
    acknowledgeWildcards(freshness, ['*'], `PutMetricData has no resource-level permissions; the condition limits it to the ${FRESHNESS_NAMESPACE} namespace.`);
    acknowledgeWildcards(freshness, [`${this.registry.tableArn}/index/*`], 'CDK\'s grantReadData covers the registry table\'s indexes.');
    new events.Rule(this, 'FreshnessSchedule', {
      description: `Report the age of the newest approved ${config.name} image every hour`,
      schedule: events.Schedule.rate(Duration.hours(1)),
      targets: [new targets.LambdaFunction(freshness, { retryAttempts: 2 })],
    });
    this.freshnessAlarm = new cloudwatch.Alarm(this, 'FreshnessAlarm', {
      alarmName: `gami-${config.name}-image-age`,
      alarmDescription: `The newest approved ${config.name} image is older than ${config.freshness.maxAgeDays} days, or there is none: run the pipeline.`,
      metric: new cloudwatch.Metric({
        namespace: FRESHNESS_NAMESPACE,
        metricName: FRESHNESS_METRIC,
        dimensionsMap: { Pipeline: config.name },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.hours(1),
      }),
      threshold: config.freshness.maxAgeDays,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    // The topic hears when the alarm fires and when it clears (a new approved image's age is reported).
    this.freshnessAlarm.addAlarmAction(new cloudwatchActions.SnsAction(this.topic));
    this.freshnessAlarm.addOkAction(new cloudwatchActions.SnsAction(this.topic));
    // CloudWatch publishes to the encrypted topic with the topic's key.
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );

    // The failure path's Notify Failure publishes to the encrypted topic: SNS needs the publisher to use its key.
    this.topic.grantPublish(this.workflow.stateMachine);
    acknowledgeKeyUse(this.workflow.stateMachine);

    // CDK grants lambda:InvokeFunction on each task function and its versions (<arn>:*), and X-Ray writes on "*".
    acknowledgeWildcards(
      this.workflow.stateMachine,
      [...Object.values(this.tasks.functions).map((fn) => `${fn.functionArn}:*`), '*'],
      'Invoking versions of this pipeline\'s own task functions; X-Ray writes have no resource-level permissions.',
    );

    // The scheduled retention sweep of this pipeline: every region and account, daily by default.
    this.retentionSweep = new RetentionSweep(this, 'RetentionSweep', {
      config,
      functions: this.tasks.functions,
      topic: this.topic,
      logGroup: this.logGroup,
      registryTableName: names.registryTable,
      stateMachineName: names.retentionSweep,
    });
    this.topic.grantPublish(this.retentionSweep.stateMachine);
    acknowledgeKeyUse(this.retentionSweep.stateMachine);
    acknowledgeWildcards(
      this.retentionSweep.stateMachine,
      [`${this.tasks.functions.retention.functionArn}:*`, '*'],
      'Invoking versions of this pipeline\'s own retention function; X-Ray writes have no resource-level permissions.',
    );
    this.retentionSchedule = new scheduler.Schedule(this, 'RetentionSweepSchedule', {
      scheduleName: names.retentionSchedule,
      description: `Retention sweep of ${config.name}: retire old images in every region and account`,
      schedule: scheduler.ScheduleExpression.expression(config.retention.sweepSchedule),
      enabled: config.retention.sweepEnabled,
      target: new schedulerTargets.StepFunctionsStartExecution(this.retentionSweep.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({}),
        retryAttempts: 3,
        maxEventAge: Duration.hours(6),
      }),
    });

    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'RetentionSweepArn', { value: this.retentionSweep.stateMachine.stateMachineArn });
    new CfnOutput(this, 'NotificationTopicArn', { value: this.topic.topicArn });
    new CfnOutput(this, 'RegistryTableName', { value: this.registry.tableName });
    new CfnOutput(this, 'LogGroupName', { value: this.logGroup.logGroupName });
    new CfnOutput(this, 'HistoryBucketName', { value: this.historyBucket.bucketName });
  }
}
