import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The simulators' package boundary, both ways. That they import nothing from the app is also a
 * compile error (src/simulators/tsconfig.json has its own root); tsconfig.test.json compiles
 * everything as one program, so this test says it here too. That production code never starts a
 * simulator is checked only here: the CLI (its `simulate` command) and the demo may, nothing else.
 */

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every module specifier of `text`: static imports and exports, and import('…'). */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) found.push(m[1]!);
  return found;
}

const relative = (file: string) => path.relative(SRC, file).split(path.sep).join('/');
const all = sources(SRC).map((file) => ({ file: relative(file), imports: specifiers(readFileSync(file, 'utf8')).filter((s) => s.startsWith('.')), dir: path.dirname(file) }));

describe('the simulators package boundary', () => {
  it('finds the imports it checks', () => {
    const cli = all.find((f) => f.file === 'cli/simulate-commands.ts');
    expect(cli?.imports).toContain('../simulators/launch.js');
  });

  it('the simulators import nothing from the app', () => {
    const outside = all
      .filter((f) => f.file.startsWith('simulators/'))
      .flatMap((f) => f.imports.map((s) => ({ file: f.file, to: relative(path.resolve(f.dir, s)) })))
      .filter(({ to }) => !to.startsWith('simulators/'))
      .map(({ file, to }) => `${file} -> ${to}`);
    expect(outside).toEqual([]);
  });

  it('production code never imports a simulator: only the CLI (simulate) and the demo start them', () => {
    const allowed = (file: string) => file.startsWith('simulators/') || file.startsWith('demo/') || file === 'cli/simulate-commands.ts';
    const importing = all
      .filter((f) => !allowed(f.file))
      .flatMap((f) => f.imports.map((s) => ({ file: f.file, to: relative(path.resolve(f.dir, s)) })))
      .filter(({ to }) => to.startsWith('simulators/'))
      .map(({ file, to }) => `${file} -> ${to}`);
    expect(importing).toEqual([]);
  });
});
