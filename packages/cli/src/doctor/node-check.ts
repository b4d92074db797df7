import { fail, ok, type CheckResult } from './check-result';

const MINIMUM_MAJOR = 20;

/** TokenPak needs Node ≥ 20 (package.json `engines`). */
export function nodeCheck(version: string = process.versions.node): CheckResult {
  const major = Number(version.split('.')[0]);
  return major >= MINIMUM_MAJOR
    ? ok('node', `Node ${version}`, { version })
    : fail('node', `Node ${version} is older than ${MINIMUM_MAJOR}`, `install Node ${MINIMUM_MAJOR} or newer`, { version });
}
