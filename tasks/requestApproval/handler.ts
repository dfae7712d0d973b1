import { SFNClient } from '@aws-sdk/client-sfn';
import { createClient } from '../clients';
import { ec2Client } from '../common/ec2';
import { regionalClient } from '../common/regional';
import { parseTaskEnv } from '../common/env';
import { taskHandler } from '../common/handler';
import { registryClient } from '../common/registry';
import { secretsClient } from '../common/secrets';
import { snsClient } from '../common/sns';
import { requestApprovalEventSchema } from '../contracts';
import { requestApproval } from './requestApproval';

export const handler = taskHandler('requestApproval', requestApprovalEventSchema, (event) => {
  const env = parseTaskEnv();
  // Only a request signs links (the stack sets both when approval is required).
  if (event.phase === 'request' && (!env.GAMI_APPROVAL_SECRET || !env.GAMI_APPROVAL_BASE_URL)) {
    throw new Error('requestApproval needs GAMI_APPROVAL_SECRET and GAMI_APPROVAL_BASE_URL');
  }
  return requestApproval(
    { ec2: ec2Client(), sns: snsClient(), registry: registryClient(), secrets: secretsClient(), sfn: regionalClient('sfn', undefined, (r) => createClient(SFNClient, { region: r })) },
    { secretId: env.GAMI_APPROVAL_SECRET ?? '', baseUrl: env.GAMI_APPROVAL_BASE_URL ?? '' },
    event,
  );
});
