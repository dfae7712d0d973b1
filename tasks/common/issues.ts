/** Zod issues as sentences a person can act on: each names the field it is about. */
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/** `["baseImage", "amiId"]` → `baseImage.amiId`; `["items", 2]` → `items[2]`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === 'number') return `${text}[${key}]`;
    return text ? `${text}.${String(key)}` : String(key);
  }, '');
}

// Zod does not report inputs by default; a missing field shows as "received undefined".
const isStructural = (issue: Issue): boolean =>
  issue.code === 'unrecognized_keys' || (issue.code === 'invalid_type' && issue.message.endsWith('received undefined'));

function describeIssue(issue: Issue, prefix: readonly PropertyKey[]): string[] {
  const path = [...prefix, ...issue.path];
  const field = fieldPath(path) || '(input)';
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${fieldPath([...path, key])}: unknown field`);
  }
  if (issue.code === 'invalid_union') {
    // When one alternative got further than the others (e.g. right keys, bad value), its problems are the
    // useful ones; otherwise say that none of the accepted shapes matched.
    const ranked = issue.errors
      .map((branch) => ({ branch, structural: branch.filter(isStructural).length }))
      .sort((a, b) => a.structural - b.structural);
    const best = ranked[0];
    if (best && best.structural === 0 && (ranked[1]?.structural ?? 1) > 0) {
      return best.branch.flatMap((inner) => describeIssue(inner, path));
    }
    return [`${field}: ${issue.message === 'Invalid input' ? 'does not match any accepted form' : issue.message}`];
  }
  return [`${field}: ${issue.message}`];
}

/** All issues of `error`, one sentence each, joined with "; ". */
export function formatIssues(error: z.ZodError): string {
  return error.issues.flatMap((issue) => describeIssue(issue, [])).join('; ');
}
