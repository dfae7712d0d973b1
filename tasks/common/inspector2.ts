import { Inspector2Client } from '@aws-sdk/client-inspector2';
import { createClient } from '../clients';
import { regionalClient } from './regional';

/** The Amazon Inspector client of `region` (default: the function's region). */
export const inspector2Client = (region?: string): Inspector2Client =>
  regionalClient('inspector2', region, (r) => createClient(Inspector2Client, { region: r }));
