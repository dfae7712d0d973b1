import { SSMClient } from '@aws-sdk/client-ssm';
import { createClient } from '../clients';
import { regionalClient } from './regional';

/** The SSM client of `region` (default: the function's region). */
export const ssmClient = (region?: string): SSMClient =>
  regionalClient('ssm', region, (r) => createClient(SSMClient, { region: r }));
