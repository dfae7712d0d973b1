/**
 * JSON Schemas of pipeline and component files, generated from the zod schemas (the zod schemas are the source
 * of truth). Checked in under pipelines/ and referenced from the YAML files for editor completion; a test fails
 * when they are stale.
 */
import * as z from 'zod';
import { componentSchema } from './component';
import { pipelineConfigSchema } from './config';

const BASE_ID = 'https://golden-ami-pipeline.dev/schemas';

function render(schema: z.ZodType, id: string, title: string): string {
  const json = { ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }), $id: `${BASE_ID}/${id}`, title };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** File (relative to the pipelines directory) → exact text to check in. */
export function schemaFiles(): Record<string, string> {
  return {
    'schema.json': render(pipelineConfigSchema, 'pipeline.json', 'golden-ami-pipeline pipeline configuration'),
    'components/schema.json': render(componentSchema, 'component.json', 'golden-ami-pipeline component (AWSTOE-style)'),
  };
}
