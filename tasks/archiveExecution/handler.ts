import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { createClient } from '../clients';
import { parseTaskEnv } from '../common/env';
import { parseTaskEvent } from '../common/handler';
import { logger } from '../common/powertools';
import { registryClient } from '../common/registry';
import { executionStatusChangeSchema } from '../contracts';
import { archiveExecution } from './archive';

const sfn = createClient(SFNClient, {});
const s3 = createClient(S3Client, {});

/** Invoked by the stack's EventBridge rule on every terminal execution status (an "Execution Status Change" event). */
export const handler = async (event: unknown) => {
  const change = parseTaskEvent('archiveExecution', executionStatusChangeSchema, event);
  const env = parseTaskEnv();
  if (!env.GAMI_PIPELINE || !env.GAMI_REGISTRY_TABLE || !env.GAMI_ARCHIVE_BUCKET) {
    throw new Error('archiveExecution needs GAMI_PIPELINE, GAMI_REGISTRY_TABLE and GAMI_ARCHIVE_BUCKET');
  }
  const result = await archiveExecution({ sfn, registry: registryClient(), s3 }, change, {
    pipeline: env.GAMI_PIPELINE,
    registryTable: env.GAMI_REGISTRY_TABLE,
    bucket: env.GAMI_ARCHIVE_BUCKET,
  });
  logger.info('archived an execution', { result });
  return result;
};
