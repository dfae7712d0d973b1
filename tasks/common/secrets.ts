import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createClient } from '../clients';
import { regionalClient } from './regional';

/** The Secrets Manager client of `region` (default: the function's region). */
export const secretsClient = (region?: string): SecretsManagerClient =>
  regionalClient('secretsmanager', region, (r) => createClient(SecretsManagerClient, { region: r }));
