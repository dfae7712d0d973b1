/**
 * Shared set-up of the approval tests: a real DynamoDB (dynalite, in memory, the one the local runtime uses)
 * with a table of the registry's key schema, a write counter on its client, Step Functions mocked with
 * aws-sdk-client-mock (the task token is opaque to the store; what matters is which command it sends), the
 * web app on a fixed clock, and a pending web-base v7 approval for alice and bob (2 of 2).
 */
import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient, type ServiceInputTypes, type ServiceOutputTypes, type SFNClientResolvedConfig } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { startDynamoDb, type DynamoDbServer } from '../../local/cloud/dynamodb';
import { logger } from '../../tasks/common/powertools';
import { createApprovalApp } from '../../tasks/approval/app';
import { approvalLink, type LinkClaims } from '../../tasks/approval/links';
import { newApprovalRecord, type ApprovalEvidence, type ApprovalRecord } from '../../tasks/approval/record';
import { putApproval, type ApprovalStore } from '../../tasks/approval/store';

process.env.AWS_REGION ??= 'eu-west-1';
logger.setLogLevel('SILENT');

export const BASE = 'https://approvals.example.com';
export const ALICE = 'alice@example.com';
export const BOB = 'bob@example.com';
export const MALLORY = 'mallory@example.com';
export const TOKEN = `AQCEAAAAKgAAAAMAAAAA-secret-task-token-${randomBytes(8).toString('hex')}`;
export const NOW = new Date('2026-11-22T10:00:00.000Z');
export const TABLE = 'gami-registry-web-base';
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);

export const evidence: ApprovalEvidence = {
  pipeline: 'web-base',
  version: 7,
  image: { imageId: 'ami-0123456789abcdef0', name: 'web-base-v7-20261122' },
  baseImage: {
    imageId: 'ami-0fedcba9876543210',
    name: 'al2023-ami-2023.6.20261101-kernel-6.1-x86_64',
    ownerId: '137112412989',
    creationDate: '2026-11-01T00:00:00.000Z',
    source: 'ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
  },
  lineage: ['ami-0fedcba9876543210'],
  components: ['hardening', 'nginx'],
  steps: [
    { component: 'hardening', phase: 'build', step: 'sshd', status: 'Success' },
    { component: 'nginx', phase: 'test', step: 'serves', status: 'Success' },
  ],
  gate: {
    passed: true,
    counts: { CRITICAL: 0, HIGH: 0, MEDIUM: 1, LOW: 2, INFORMATIONAL: 0, UNTRIAGED: 0 },
    thresholds: { CRITICAL: 0, HIGH: 0, MEDIUM: 5, LOW: 'unlimited', INFORMATIONAL: 'unlimited', UNTRIAGED: 0 },
    violations: [],
    exceptionsApplied: [{ cve: 'CVE-2026-1111', findings: 1, expiresOn: '2026-12-31' }],
    exceptionsExpired: [],
    totalFindings: 4,
    topFindings: [
      {
        findingArn: 'arn:aws:inspector2:eu-west-1:111111111111:finding/1',
        vulnerabilityId: 'CVE-2026-2222',
        severity: 'MEDIUM',
        title: 'CVE-2026-2222 - <script>alert(1)</script>',
        packageName: 'openssl<b>',
        installedVersion: '3.0.8-1',
        fixedInVersion: '3.0.8-2',
        inspectorScore: 5.3,
        exploitAvailable: false,
      },
    ],
  },
  exceptions: [{ cve: 'CVE-2026-1111', reason: 'not reachable: no listener uses it', approvedBy: 'sec@example.com', expiresOn: '2026-12-31', findings: 1 }],
  reason: 'weekly rebuild',
  requestedBy: 'schedule',
};

export interface ApprovalFixture {
  dynamo: DynamoDbServer;
  db: DynamoDBDocumentClient;
  sfn: SFNClient;
  sfnMock: AwsStub<ServiceInputTypes, ServiceOutputTypes, SFNClientResolvedConfig>;
  store: ApprovalStore;
  key: Buffer;
  clock: { now: Date };
  /** Successful DynamoDB writes since the fixture started. */
  writes(): number;
  app: ReturnType<typeof createApprovalApp>;
  stop(): Promise<void>;
}

export async function startApprovalFixture(): Promise<ApprovalFixture> {
  const dynamo = await startDynamoDb();
  const base = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  let writes = 0;
  base.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (WRITES.has(context.commandName ?? '')) writes++;
      return result;
    },
    { step: 'initialize', name: 'countWrites' },
  );
  await base.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
    }),
  );
  const db = DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } });
  const sfn = new SFNClient({ region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const sfnMock = mockClient(sfn);
  sfnMock.resolves({});
  const store: ApprovalStore = { db, sfn, tableName: TABLE };
  const key = randomBytes(32);
  const clock = { now: NOW };
  const app = createApprovalApp({ store, signingKey: key, publicOrigin: BASE, now: () => clock.now, clientAddress: () => '198.51.100.7' });
  return {
    dynamo,
    db,
    sfn,
    sfnMock,
    store,
    key,
    clock,
    writes: () => writes,
    app,
    stop: async () => {
      sfnMock.restore();
      base.destroy();
      await dynamo.close();
    },
  };
}

/** A pending approval stored in the table (counts as writes: take `writes()` after it). */
export async function pendingApproval(
  fixture: ApprovalFixture,
  overrides: { approvers?: string[]; minApprovals?: number; timeoutHours?: number; evidence?: ApprovalEvidence } = {},
): Promise<ApprovalRecord> {
  const record = newApprovalRecord({
    taskToken: TOKEN,
    executionArn: 'arn:aws:states:eu-west-1:111111111111:execution:gami-web-base:run-7',
    evidence: overrides.evidence ?? evidence,
    approvers: overrides.approvers ?? [ALICE, BOB],
    minApprovals: overrides.minApprovals ?? 2,
    now: fixture.clock.now,
    timeoutHours: overrides.timeoutHours ?? 72,
  });
  await putApproval(fixture.store, record);
  return record;
}

export function claimsOf(record: ApprovalRecord, approver: string): LinkClaims {
  return { approvalId: record.approvalId, approver, exp: Math.floor(Date.parse(record.expiresAt) / 1000) };
}

export function linkFor(fixture: ApprovalFixture, record: ApprovalRecord, approver: string): string {
  return approvalLink(BASE, fixture.key, claimsOf(record, approver));
}

/** The whole table as JSON: equal before and after means no state change. */
export async function tableSnapshot(fixture: ApprovalFixture): Promise<string> {
  const { Items } = await fixture.db.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }));
  return JSON.stringify((Items ?? []).sort((a, b) => String(a.pk).localeCompare(String(b.pk))));
}

/** The hidden and named fields of the page's form, as a browser would submit them with its defaults. */
export function formDefaults(page: string): { action: string; fields: Record<string, string> } {
  const action = /<form method="post" action="([^"]*)"/.exec(page)?.[1];
  if (!action) throw new Error('the page has no decision form');
  const fields: Record<string, string> = {};
  for (const match of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[match[1]] = decodeEntities(match[2]);
  return { action: decodeEntities(action), fields };
}

export function decodeEntities(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** GET the approver's page and return the form a real browser would post (defaults + what the test adds). */
export async function openPage(fixture: ApprovalFixture, record: ApprovalRecord, approver: string) {
  const response = await fixture.app.request(linkFor(fixture, record, approver));
  const text = await response.text();
  return { response, text, form: formDefaults(text) };
}

/** POST a decision the way the browser does from the page: same origin, form encoding. */
export function postForm(
  fixture: ApprovalFixture,
  record: ApprovalRecord,
  fields: Record<string, string>,
  headers: Record<string, string> = { Origin: BASE, 'Sec-Fetch-Site': 'same-origin' },
): Promise<Response> | Response {
  return fixture.app.request(`${BASE}/approvals/${record.approvalId}/decision`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': 'jest-browser/1.0', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

/** A complete, valid decision of `approver` from their page. */
export async function decide(fixture: ApprovalFixture, record: ApprovalRecord, approver: string, decision: 'approve' | 'reject', comment = ''): Promise<Response> {
  const { form } = await openPage(fixture, record, approver);
  return postForm(fixture, record, { ...form.fields, reviewed: `${record.pipeline} v${record.version}`, decision, comment });
}
