/**
 * The registry table's keys (one table per pipeline, pk/sk strings). An auditor reads one partition per
 * pipeline, newest image first:
 *   PIPELINE#<name> / COUNTER                          the last version number taken, and by which execution
 *                                                      (a conditional update; see tasks/common/image-record.ts)
 *   PIPELINE#<name> / IMAGE#<000012>                   the image record: status, ids, base image, lineage
 *   PIPELINE#<name> / IMAGE#<000012>#STAGE#<Stage>     one item per stage: status, times, artifacts
 *   PIPELINE#<name> / IMAGE#<000012>#SCAN              the scan evidence: all findings and the gate result
 *   PIPELINE#<name> / IMAGE#<000012>#APPROVAL          which approval request the run made (its opaque id, who was
 *                                                      emailed); the request itself is APPROVAL#<id> / APPROVAL
 *   PIPELINE#<name> / IMAGE#<000012>#TEMPLATE#<account>#<region>#<template>
 *                                                      one launch template the run changed: previous default,
 *                                                      new version, refreshes, rolled back or not
 *   PIPELINE#<name> / RETENTION#<sweep>                retention: the plan's summary, then the report (JSON and
 *                                                      Markdown) of one sweep or lifecycle Retention stage
 *   PIPELINE#<name> / RETENTION#<sweep>#BATCH#<00001>  one batch of the executor's image actions and their results
 *   PIPELINE#<name> / SKIP#<time>#<execution>          a run schedule.onlyWhenChanged skipped, and why
 * Versions are zero-padded so sort order is numeric order.
 */
export interface RegistryKey {
  pk: string;
  sk: string;
}

const pad = (version: number) => String(version).padStart(6, '0');

/** Sort-key prefix of every launch template item of a version (Query with begins_with). */
export const templatePrefix = (version: number): string => `IMAGE#${pad(version)}#TEMPLATE#`;

export const registryKeys = {
  counter: (pipeline: string): RegistryKey => ({ pk: `PIPELINE#${pipeline}`, sk: 'COUNTER' }),
  image: (pipeline: string, version: number): RegistryKey => ({ pk: `PIPELINE#${pipeline}`, sk: `IMAGE#${pad(version)}` }),
  stage: (pipeline: string, version: number, stage: string): RegistryKey => ({
    pk: `PIPELINE#${pipeline}`,
    sk: `IMAGE#${pad(version)}#STAGE#${stage}`,
  }),
  scan: (pipeline: string, version: number): RegistryKey => ({ pk: `PIPELINE#${pipeline}`, sk: `IMAGE#${pad(version)}#SCAN` }),
  approval: (pipeline: string, version: number): RegistryKey => ({ pk: `PIPELINE#${pipeline}`, sk: `IMAGE#${pad(version)}#APPROVAL` }),
  /** What a run changed on one launch template (previous default, new version, refreshes), written before the change. */
  template: (pipeline: string, version: number, account: string, region: string, template: string): RegistryKey => ({
    pk: `PIPELINE#${pipeline}`,
    sk: `${templatePrefix(version)}${account}#${region}#${template}`,
  }),
  retention: (pipeline: string, sweep: string): RegistryKey => ({ pk: `PIPELINE#${pipeline}`, sk: `RETENTION#${sweep}` }),
  retentionBatch: (pipeline: string, sweep: string, batch: number): RegistryKey => ({
    pk: `PIPELINE#${pipeline}`,
    sk: `RETENTION#${sweep}#BATCH#${String(batch).padStart(5, '0')}`,
  }),
  skipped: (pipeline: string, at: string, executionName: string): RegistryKey => ({ pk: `PIPELINE#${pipeline}`, sk: `SKIP#${at}#${executionName}` }),
};
