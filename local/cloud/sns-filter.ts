/**
 * SNS subscription filter policies (scope MessageAttributes), as the SNS developer guide defines them: every key
 * of the policy must match (AND); a key's array of conditions matches when any does (OR). Conditions: an exact
 * string, `{exists: true|false}`, `{prefix}`, `{suffix}`, `{"anything-but": value | [values]}`, `{"equals-ignore-case"}`;
 * a top-level `$or` of policies. Number conditions are not simulated: a policy using one is refused at
 * Subscribe (InvalidParameter), never silently matched.
 */
type Attributes = Record<string, { DataType: string; StringValue?: string }>;

const OPERATORS = new Set(['exists', 'prefix', 'suffix', 'anything-but', 'equals-ignore-case']);

/** Why `policy` is not a filter policy this simulation evaluates, or undefined when it is. */
export function filterPolicyProblem(policy: unknown): string | undefined {
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) return 'the filter policy must be a JSON object';
  for (const [key, conditions] of Object.entries(policy as Record<string, unknown>)) {
    if (key === '$or') {
      if (!Array.isArray(conditions)) return '$or must be an array of policies';
      for (const p of conditions) {
        const problem = filterPolicyProblem(p);
        if (problem) return problem;
      }
      continue;
    }
    if (!Array.isArray(conditions) || conditions.length === 0) return `the conditions of ${key} must be a non-empty array`;
    for (const condition of conditions) {
      if (typeof condition === 'string') continue;
      if (typeof condition !== 'object' || condition === null) return `${key}: unsupported condition ${JSON.stringify(condition)}`;
      const ops = Object.keys(condition);
      if (ops.length !== 1 || !OPERATORS.has(ops[0])) return `${key}: unsupported condition ${JSON.stringify(condition)}`;
    }
  }
  return undefined;
}

function matchesCondition(condition: unknown, value: string | undefined): boolean {
  if (typeof condition === 'string') return value === condition;
  const [op, arg] = Object.entries(condition as Record<string, unknown>)[0];
  switch (op) {
    case 'exists':
      return arg === (value !== undefined);
    case 'prefix':
      return value !== undefined && value.startsWith(String(arg));
    case 'suffix':
      return value !== undefined && value.endsWith(String(arg));
    case 'equals-ignore-case':
      return value !== undefined && value.toLowerCase() === String(arg).toLowerCase();
    case 'anything-but':
      return value !== undefined && !(Array.isArray(arg) ? arg.map(String) : [String(arg)]).includes(value);
    default:
      return false;
  }
}

/** Whether a message with `attributes` passes `policy`. */
export function matchesFilterPolicy(policy: Record<string, unknown>, attributes: Attributes): boolean {
  return Object.entries(policy).every(([key, conditions]) => {
    if (key === '$or') return (conditions as Record<string, unknown>[]).some((p) => matchesFilterPolicy(p, attributes));
    const value = attributes[key]?.DataType.startsWith('String') ? attributes[key].StringValue : undefined;
    return (conditions as unknown[]).some((c) => matchesCondition(c, value));
  });
}
