import { KMSClient } from '@aws-sdk/client-kms';
import { createClient } from '../clients';
import { regionalClient } from './regional';

/** The KMS client of `region` (default: the function's region). */
export const kmsClient = (region?: string): KMSClient =>
  regionalClient('kms', region, (r) => createClient(KMSClient, { region: r }));
