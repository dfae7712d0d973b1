/** CDK assertions on the approval stage's infrastructure (example pipeline: approval required, 2 approvers). */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp, LOCAL_CONTEXT } from '../../infra/app';
import { APPROVAL_API_ENTRY, APPROVAL_API_THROTTLE } from '../../infra/approval-api';
import { definitionsFromCdk } from '../../local/cdk';

const { stacks } = buildApp({ files: ['pipelines/example.yaml'], nag: false, context: LOCAL_CONTEXT });
const template = Template.fromStack(stacks[0]);

type Statement = { Effect?: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> };
function statementsOf(logicalIdPrefix: string): Statement[] {
  return Object.entries(template.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith(logicalIdPrefix))
    .flatMap(([, p]) => (p.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement);
}
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('approval API', () => {
  it('is an HTTP API whose $default stage throttles and writes access logs without the query string', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { Name: 'gami-web-base-approvals', ProtocolType: 'HTTP' });
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0].Properties as {
      StageName: string;
      DefaultRouteSettings: unknown;
      AccessLogSettings: { Format: string };
    };
    expect(stage.StageName).toBe('$default');
    expect(stage.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: APPROVAL_API_THROTTLE.rateLimit, ThrottlingBurstLimit: APPROVAL_API_THROTTLE.burstLimit });
    const format = JSON.parse(stage.AccessLogSettings.Format as string) as Record<string, string>;
    expect(format.requestId).toBe('$context.requestId');
    expect(Object.values(format).join(' ')).not.toMatch(/querystring|rawQueryString/i);
  });

  it('routes GET/HEAD pages and the POST form without API authorization, and the IAM decision route with AWS_IAM', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties as { RouteKey: string; AuthorizationType?: string });
    const byKey = Object.fromEntries(routes.map((r) => [r.RouteKey, r.AuthorizationType ?? 'NONE']));
    expect(byKey).toEqual({
      'GET /approvals/{id}': 'NONE',
      'HEAD /approvals/{id}': 'NONE',
      'POST /approvals/{id}/decision': 'NONE',
      'POST /approvals/{id}/iam-decision': 'AWS_IAM',
    });
  });

  it('runs one function with the approval handler, the registry table, the signing key secret and the API URL', () => {
    const fns = Object.values(template.findResources('AWS::Lambda::Function')).filter(
      (f) => (f.Metadata as Record<string, { entry?: string }> | undefined)?.['gami:handler']?.entry === APPROVAL_API_ENTRY,
    );
    expect(fns).toHaveLength(1);
    const variables = (fns[0].Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
    expect(variables.GAMI_REGISTRY_TABLE).toBe('gami-registry-web-base');
    expect((variables.GAMI_APPROVAL_SECRET as { Ref: string }).Ref).toMatch(/^ApprovalSigningKey/);
    expect(variables.GAMI_APPROVAL_BASE_URL).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ApprovalApi/), 'ApiEndpoint'] });
  });

  it('keeps the signing key in Secrets Manager, generated at deploy', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'gami-web-base-approval-signing-key',
      GenerateSecretString: Match.objectLike({ PasswordLength: 64, ExcludePunctuation: true }),
    });
  });

  it('lets the API function read and decide approval items only, and answer this state machine\'s tasks only', () => {
    const statements = statementsOf('ApprovalHandlerServiceRoleDefaultPolicy');
    const table = statements.find((s) => actionsOf(s).includes('dynamodb:UpdateItem'))!;
    expect(actionsOf(table).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(table.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['APPROVAL#*'] } });
    const states = statements.find((s) => actionsOf(s).includes('states:SendTaskSuccess'))!;
    expect(actionsOf(states).sort()).toEqual(['states:SendTaskFailure', 'states:SendTaskSuccess']);
    expect((states.Resource as { Ref: string }).Ref).toMatch(/^LifecycleStateMachine/);
    expect(statements.some((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'))).toBe(true);
    expect(statements.some((s) => actionsOf(s).some((a) => a.startsWith('ec2:')))).toBe(false);
  });
});

describe('approval emails', () => {
  it('subscribes each approver with a filter policy on their own address, and the notification list to messages without one', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Endpoint: 'alice.platform@example.com', FilterPolicy: { approver: ['alice.platform@example.com'] } });
    template.hasResourceProperties('AWS::SNS::Subscription', { Endpoint: 'bob.security@example.com', FilterPolicy: { approver: ['bob.security@example.com'] } });
    template.hasResourceProperties('AWS::SNS::Subscription', { Endpoint: 'platform-team@example.com', FilterPolicy: { approver: [{ exists: false }] } });
  });
});

describe('Request Approval task and requestApproval function', () => {
  // The definition with its references resolved (the local synthesizer's view of the same template).
  interface TaskState {
    Resource: string;
    TimeoutSeconds: number;
    Arguments: { Payload: Record<string, unknown> };
    Output: string;
    Retry: { ErrorEquals: string[] }[];
    Catch: { ErrorEquals: string[]; Assign?: Record<string, unknown> }[];
  }
  const definition = definitionsFromCdk(stacks[0]).stateMachines[0].definition as unknown as { States: Record<string, TaskState> };

  it('waits for the task token for approval.timeoutHours, token only in the arguments, output only the decision', () => {
    const state = definition.States['Request Approval'];
    expect(state.Resource).toContain('lambda:invoke.waitForTaskToken');
    expect(state.TimeoutSeconds).toBe(72 * 3600);
    expect(state.Arguments.Payload.taskToken).toBe('{% $states.context.Task.Token %}');
    expect(state.Output).toBe('{% $states.result %}');
    // Never retried on its own time-out: that is the approval expiring.
    for (const retry of state.Retry) expect(retry.ErrorEquals).not.toContain('States.Timeout');
    const expired = state.Catch.find((c) => c.ErrorEquals.includes('States.Timeout'));
    expect(expired?.Assign?.error).toBe('ApprovalExpired');
  });

  it('lets requestApproval tag only this pipeline\'s images, only with the approval statuses', () => {
    const tagging = statementsOf('TasksrequestApprovalServiceRoleDefaultPolicy').find((s) => actionsOf(s).includes('ec2:CreateTags'))!;
    expect(tagging.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/gami:pipeline': 'web-base' },
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['gami:status'] },
      StringEqualsIfExists: { 'aws:RequestTag/gami:status': ['awaiting-approval', 'distributing'] },
    });
  });
});
