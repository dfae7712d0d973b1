/**
 * The approval API: an API Gateway HTTP API in front of ONE Lambda function running the approval web app
 * (tasks/approval/handler.ts → createApprovalApp, the same app the local server serves), and the signing key of
 * its links in Secrets Manager.
 *
 *   GET|HEAD /approvals/{id}            the evidence page (signed link: ?a&exp&sig)       no API authorization:
 *   POST     /approvals/{id}/decision   the page's form (CSRF token, same origin, box)     approvers are email
 *                                                                                        recipients; the signed
 *                                                                                        link + CSRF token are
 *                                                                                        the authorization
 *   POST     /approvals/{id}/iam-decision  AWS_IAM (SigV4): decides as the calling principal (gami approve|reject)
 *
 * Everything else is answered by API Gateway (404) before the function runs. The `$default` stage throttles
 * (rate and burst: a link scanner or a flood cannot run up the function) and writes JSON access logs without
 * the query string (which holds the link's signature). The function reads approval records (APPROVAL#… keys
 * only, dynamodb:LeadingKeys) and decides them, tells the state machine (SendTaskSuccess / SendTaskFailure
 * on this pipeline's state machine only), and reads the signing key.
 */
import { Duration, RemovalPolicy, Validations, type CfnResource } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledgeManagedPolicy, acknowledgeWildcards } from './nag';
import { handlerCode, registerHandlerEntries } from './bundle';
import { HANDLER_METADATA_KEY } from './task-functions';

/** The approval API function's entry (its `gami:handler` metadata; the local server invokes it by this). */
export const APPROVAL_API_ENTRY = 'tasks/approval/handler.ts';
registerHandlerEntries(APPROVAL_API_ENTRY);
/** Steady requests per second and burst of the stage: a handful of approvers need a few requests a minute. */
export const APPROVAL_API_THROTTLE = { rateLimit: 5, burstLimit: 20 };

export interface ApprovalApiProps {
  pipelineName: string;
  registry: dynamodb.ITableV2;
  /** The registry table's name (a literal, as the task functions get it). */
  registryTableName: string;
  stateMachine: sfn.IStateMachine;
}

export class ApprovalApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly handler: lambda.Function;
  readonly signingKey: secretsmanager.Secret;
  readonly accessLogs: logs.LogGroup;
  /** Where links point: the `$default` stage's URL (no stage path). */
  readonly baseUrl: string;

  constructor(scope: Construct, id: string, props: ApprovalApiProps) {
    super(scope, id);
    this.signingKey = new secretsmanager.Secret(this, 'SigningKey', {
      secretName: `gami-${props.pipelineName}-approval-signing-key`,
      description: `HMAC key of the ${props.pipelineName} approval links and CSRF tokens`,
      // 64 characters from letters and digits: ~380 bits, well over the 32 bytes the app requires.
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.signingKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The HMAC key of outstanding approval links: rotating it invalidates every link already emailed. Rotate it by hand between approvals (a new value takes effect on the functions\' next cold start).',
    });

    const logGroup = new logs.LogGroup(this, 'FunctionLogs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    const common: lambda.FunctionOptions & { runtime: lambda.Runtime } = {
      description: `golden-ami-pipeline ${props.pipelineName}: approval API (evidence page, decisions)`,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      environment: {
        POWERTOOLS_SERVICE_NAME: `gami-${props.pipelineName}-approval`,
        NODE_OPTIONS: '--enable-source-maps',
        GAMI_REGISTRY_TABLE: props.registryTableName,
        GAMI_APPROVAL_SECRET: this.signingKey.secretArn,
      },
    };
    this.handler = new lambda.Function(this, 'Handler', { ...common, handler: 'index.handler', code: handlerCode(this, APPROVAL_API_ENTRY) });
    (this.handler.node.defaultChild as CfnResource).addMetadata(HANDLER_METADATA_KEY, { entry: APPROVAL_API_ENTRY, export: 'handler' });

    this.api = new apigwv2.HttpApi(this, 'Api', {
      apiName: `gami-${props.pipelineName}-approvals`,
      description: `Approval pages and decisions of the ${props.pipelineName} golden-AMI pipeline`,
      createDefaultStage: false,
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: APPROVAL_API_THROTTLE,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        // No query string: it holds the link's signature. The path holds only the opaque approval id.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            method: '$context.httpMethod',
            path: '$context.path',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            principal: '$context.identity.userArn',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    this.baseUrl = this.api.apiEndpoint;
    this.handler.addEnvironment('GAMI_APPROVAL_BASE_URL', this.baseUrl);

    const integration = new HttpLambdaIntegration('Approvals', this.handler, { payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0 });
    this.api.addRoutes({ path: '/approvals/{id}', methods: [apigwv2.HttpMethod.GET, apigwv2.HttpMethod.HEAD], integration });
    this.api.addRoutes({ path: '/approvals/{id}/decision', methods: [apigwv2.HttpMethod.POST], integration });
    this.api.addRoutes({ path: '/approvals/{id}/iam-decision', methods: [apigwv2.HttpMethod.POST], integration, authorizer: new HttpIamAuthorizer() });

    // Records: only approval items (APPROVAL#<id>), read and conditionally updated.
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [props.registry.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['APPROVAL#*'] } },
      }),
    );
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'], resources: [props.stateMachine.stateMachineArn] }),
    );
    this.signingKey.grantRead(this.handler);

    acknowledgeWildcards(this.handler, ['*'], 'X-Ray writes (tracing ACTIVE) have no resource-level permissions.');
    acknowledgeManagedPolicy(this.handler, 'service-role/AWSLambdaBasicExecutionRole', 'The minimal managed policy that lets the function write its own logs.');
    Validations.of(this.handler).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'nodejs22.x is the runtime the handlers are built and tested for (esbuild target node22); moving to a newer runtime is a tested change.',
    });
    for (const route of this.api.node.findAll().filter((c) => c instanceof apigwv2.HttpRoute)) {
      if ((route as apigwv2.HttpRoute).node.id.includes('iam-decision')) continue;
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Approvers are email recipients without AWS identities: the page and its form are authorized by the per-approver HMAC-signed, expiring link and a page-bound CSRF token, checked by the function (tasks/approval/app.ts); the IAM route serves IAM principals.',
      });
    }
  }
}
