import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from '../domain/errors.js';

/**
 * The folder of the installed meetsync package (where package.json is), from src/ (tests) or
 * dist/src/ (the bin): migrations/ and the PostgreSQL worker are found from it.
 */
export function packageDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i += 1) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'migrations'))) return dir;
    dir = path.dirname(dir);
  }
  throw new DataError('cannot find the folder meetsync is installed in (its migrations/ folder is missing); reinstall the package');
}
