/** DescribeRegions: the world's regions (a scenario lists the regions its accounts use). */
import type { DescribeRegionsCommandInput, DescribeRegionsCommandOutput } from '@aws-sdk/client-ec2';
import { fail } from '../../errors';
import type { Operation } from '../../operations';
import { anyMatches, parseFilters } from './common';

export const describeRegions: Operation<DescribeRegionsCommandInput, DescribeRegionsCommandOutput> = async (ctx, input) => {
  const filters = parseFilters(input.Filters, ['region-name', 'endpoint', 'opt-in-status']);
  for (const name of input.RegionNames ?? []) if (!ctx.world.state.regions.includes(name)) fail('InvalidParameterValue', `Invalid region: ${name}`);
  const names = ctx.world.state.regions.filter((name) => !input.RegionNames?.length || input.RegionNames.includes(name));
  return {
    Regions: names
      .map((RegionName) => ({ RegionName, Endpoint: `ec2.${RegionName}.amazonaws.com`, OptInStatus: 'opt-in-not-required' }))
      .filter((r) =>
        filters.every((f) => anyMatches(f.values, f.name === 'region-name' ? r.RegionName : f.name === 'endpoint' ? r.Endpoint : r.OptInStatus)),
      ),
  };
};
