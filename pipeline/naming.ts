/** AMI names from the naming pattern, e.g. `{pipeline}-{version}-{yyyymmdd}` → `web-base-12-20261122`. */
import { NAMING_TOKENS } from './config';

export interface NameValues {
  pipeline: string;
  version: number;
  arch: string;
  /** Build time. */
  at: Date;
}

// AMI names: 3-128 characters of letters, digits, ( ) [ ] space . / - ' @ _ (EC2 CreateImage reference).
const AMI_NAME_CHARS = /^[A-Za-z0-9()[\] ./\-'@_]*$/;

/** Problems with a pattern (unknown tokens, not unique, characters an AMI name cannot hold). */
export function checkNamingPattern(pattern: string): string[] {
  const problems: string[] = [];
  const tokens = [...pattern.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);
  for (const token of tokens) {
    if (!(NAMING_TOKENS as readonly string[]).includes(token)) {
      problems.push(`unknown token {${token}} (known: ${NAMING_TOKENS.map((t) => `{${t}}`).join(', ')})`);
    }
  }
  if (!tokens.includes('version') && !tokens.includes('timestamp')) {
    problems.push('the pattern must contain {version} or {timestamp}, or two builds would get the same AMI name');
  }
  const literal = pattern.replace(/\{[^}]*\}/g, '');
  if (!AMI_NAME_CHARS.test(literal)) {
    problems.push(`"${pattern}" contains characters an AMI name cannot hold (allowed: letters, digits, ( ) [ ] space . / - ' @ _)`);
  }
  return problems;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function renderImageName(pattern: string, values: NameValues): string {
  const t = values.at;
  const yyyymmdd = `${t.getUTCFullYear()}${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}`;
  const replacements: Record<string, string> = {
    pipeline: values.pipeline,
    version: String(values.version),
    arch: values.arch,
    yyyymmdd,
    yyyymmddhhmm: `${yyyymmdd}${pad(t.getUTCHours())}${pad(t.getUTCMinutes())}`,
    timestamp: String(Math.floor(t.getTime() / 1000)),
  };
  return pattern.replace(/\{([^}]*)\}/g, (whole, token: string) => replacements[token] ?? whole);
}
