/**
 * Components: AWSTOE-style YAML documents (the format EC2 Image Builder components use), so a team can move
 * components between this tool and Image Builder. Supported subset: schemaVersion 1.0, phases build /
 * validate / test, steps with the ExecuteBash action (inputs.commands), onFailure, timeoutSeconds,
 * maxAttempts. Anything else is refused with a message, never ignored.
 */
import * as z from 'zod';

const quote = (value: unknown): string => JSON.stringify(value) ?? String(value);

export const PHASES = ['build', 'validate', 'test'] as const;
export type PhaseName = (typeof PHASES)[number];
export const SUPPORTED_ACTIONS = ['ExecuteBash'] as const;

const stepName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,127}$/, {
    error: (iss) => `${quote(iss.input)} is not a step name (letters, digits, _ and -, starting with a letter)`,
  });

export const componentStepSchema = z.strictObject({
  name: stepName,
  action: z.enum(SUPPORTED_ACTIONS, {
    error: (iss) => `${quote(iss.input)} is not a supported action (supported: ${SUPPORTED_ACTIONS.join(', ')})`,
  }),
  onFailure: z
    .enum(['Abort', 'Continue', 'Ignore'], {
      error: (iss) => `${quote(iss.input)} is not an onFailure value (Abort, Continue or Ignore)`,
    })
    .default('Abort')
    .describe('Abort: fail the component (default). Continue: fail at the end. Ignore: record and go on.'),
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(172800, { error: 'timeoutSeconds is at most 172800 (48 hours)' })
    .default(7200)
    .describe('Step timeout; AWSTOE default 7200 s.'),
  maxAttempts: z.number().int().min(1).max(10).default(1).describe('Attempts before the step fails. Default: 1.'),
  inputs: z.strictObject({
    commands: z
      .array(z.string().min(1, { error: 'a command cannot be empty' }))
      .min(1, { error: 'at least one command is required' }),
  }),
});

export const componentPhaseSchema = z.strictObject({
  name: z.enum(PHASES, {
    error: (iss) => `${quote(iss.input)} is not a phase (build, validate or test)`,
  }),
  steps: z.array(componentStepSchema).min(1, { error: 'a phase needs at least one step' }),
});

export const componentSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,62}$/, {
        error: (iss) => `${quote(iss.input)} is not a component name (lowercase letters, digits and hyphens)`,
      }),
    description: z.string().max(1024).default(''),
    schemaVersion: z.union([z.literal(1), z.literal('1.0')], {
      error: (iss) => `schemaVersion must be 1.0, got ${quote(iss.input)}`,
    }),
    phases: z.array(componentPhaseSchema).min(1, { error: 'a component needs at least one phase' }),
  })
  .describe('An AWSTOE-style component document.');

export type Component = z.output<typeof componentSchema>;
export type ComponentStep = z.output<typeof componentStepSchema>;
export type ComponentPhase = z.output<typeof componentPhaseSchema>;
