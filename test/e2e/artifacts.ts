/** Where browser tests save what a person may want to look at (screenshots): test/artifacts/, gitignored. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const ARTIFACTS = join(__dirname, '..', 'artifacts');

/** Path of a file under test/artifacts/ (the directory is created). */
export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
