/**
 * One stack per pipeline file, in the pipeline's source region. Holds what the lifecycle needs to exist
 * before any state machine runs, each configured as production wants it:
 *   - notification topic: KMS-encrypted (customer key, rotated), TLS enforced, email subscriptions;
 *   - registry table: on-demand, point-in-time recovery, deletion protection, retained;
 *   - state machine log group: retained for a year, for auditors.
 */
import { CfnOutput, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { LoadedPipeline } from '../pipeline/validate';
import { TAG } from '../pipeline/tags';

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
  };
}

export class PipelineStack extends Stack {
  readonly topic: sns.Topic;
  readonly registry: dynamodb.TableV2;
  readonly logGroup: logs.LogGroup;
  readonly pipeline: LoadedPipeline;

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
    for (const email of config.notifications.emails) this.topic.addSubscription(new subscriptions.EmailSubscription(email));

    this.registry = new dynamodb.TableV2(this, 'Registry', {
      tableName: names.registryTable,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      logGroupName: names.logGroup,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    new CfnOutput(this, 'NotificationTopicArn', { value: this.topic.topicArn });
    new CfnOutput(this, 'RegistryTableName', { value: this.registry.tableName });
    new CfnOutput(this, 'LogGroupName', { value: this.logGroup.logGroupName });
  }
}
