/**
 * The registry table's keys (one table per pipeline, pk/sk strings). An auditor reads one partition per
 * pipeline, newest image first:
 *   PIPELINE#<name> / COUNTER                          the last version number taken, and by which execution
 *                                                      (a conditional update; see tasks/common/image-record.ts)
 *   PIPELINE#<name> / IMAGE#<000012>                   the image record: status, ids, base image, lineage
 *   PIPELINE#<name> / IMAGE#<000012>#STAGE#<Stage>     one item per stage: status, times, artifacts
 *   PIPELINE#<name> / IMAGE#<000012>#SCAN              the scan evidence: all findings and the gate result
 *   PIPELINE#<name> / SKIP#<time>#<execution>          a run schedule.onlyWhenChanged skipped, and why
 * Versions are zero-padded so sort order is numeric order.
 */
export interface RegistryKey {
  pk: string;
  sk: string;
}

const pad = (version: number) => String(version).padStart(6, '0');

export const registryKeys = {
  counter: (pipeline: string): RegistryKey => ({ pk: `PIPELINE#${pipeline}`, sk: 'COUNTER' }),
  image: (pipeline: string, version: number): RegistryKey => ({ pk: `PIPELINE#${pipeline}`, sk: `IMAGE#${pad(version)}` }),
  stage: (pipeline: string, version: number, stage: string): RegistryKey => ({
    pk: `PIPELINE#${pipeline}`,
    sk: `IMAGE#${pad(version)}#STAGE#${stage}`,
  }),
  scan: (pipeline: string, version: number): RegistryKey => ({ pk: `PIPELINE#${pipeline}`, sk: `IMAGE#${pad(version)}#SCAN` }),
  skipped: (pipeline: string, at: string, executionName: string): RegistryKey => ({ pk: `PIPELINE#${pipeline}`, sk: `SKIP#${at}#${executionName}` }),
};
