/**
 * The shape every task handler shares: parse the event with the task's contract schema (a bad event throws
 * InvalidTaskEvent naming the field), run the logic with the run's keys on every log line, return the result.
 */
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { runContextSchema, type RunContext, type TaskName } from '../contracts';
import { InvalidTaskEvent } from '../errors';
import { formatIssues } from './issues';
import { logger } from './powertools';

/** Parse `event` against `schema` or throw InvalidTaskEvent naming every bad field. */
export function parseTaskEvent<S extends z.ZodType>(task: TaskName, schema: S, event: unknown): z.output<S> {
  const parsed = schema.safeParse(event);
  if (!parsed.success) throw new InvalidTaskEvent(`${task}: invalid event: ${formatIssues(parsed.error)}`);
  return parsed.data;
}

export type TaskHandler<R> = (event: unknown, context?: Context) => Promise<R>;

/** The run an event belongs to, for the log keys (every contract has one). */
function runOf(event: unknown): RunContext | undefined {
  if (typeof event !== 'object' || event === null || !('run' in event)) return undefined;
  const parsed = runContextSchema.safeParse(event.run);
  return parsed.success ? parsed.data : undefined;
}

/** Build the exported Lambda `handler` of a task. */
export function taskHandler<S extends z.ZodType, R>(
  task: TaskName,
  schema: S,
  logic: (event: z.output<S>) => Promise<R>,
): TaskHandler<R> {
  return async (event, context) => {
    if (context) logger.addContext(context);
    try {
      const parsed = parseTaskEvent(task, schema, event);
      const run = runOf(parsed);
      logger.appendKeys({ task, pipeline: run?.pipeline, execution: run?.executionName });
      const result = await logic(parsed);
      logger.debug('task succeeded', { result });
      return result;
    } catch (error) {
      logger.error('task failed', error instanceof Error ? error : String(error));
      throw error;
    } finally {
      logger.resetKeys();
    }
  };
}
