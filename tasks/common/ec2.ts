import { EC2Client } from '@aws-sdk/client-ec2';
import { createClient } from '../clients';
import { regionalClient } from './regional';

/** The EC2 client of `region` (default: the function's region). */
export const ec2Client = (region?: string): EC2Client =>
  regionalClient('ec2', region, (r) => createClient(EC2Client, { region: r }));
