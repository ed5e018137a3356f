/**
 * Why a file could not be read or written, in words a person can act on. Node's errors start
 * with the errno (`EACCES: permission denied, open '/x'`), which says little to an operator and
 * nothing about what to do.
 */

const WORDS: Record<string, string> = {
  ENOENT: 'no such file',
  ENOTDIR: 'a part of its path is a file, not a folder',
  EEXIST: 'a part of its path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  ELOOP: 'its path has a loop of symbolic links',
  ENAMETOOLONG: 'its path is too long',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EMFILE: 'this process has too many files open',
  ENFILE: 'the system has too many files open',
  EIO: 'the disk answered with an input/output error',
};

/** `permission denied (run meetsync as a user that can read it)`, `no such file`, ... */
export function fileProblem(err: unknown, access: 'read' | 'write' = 'read'): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'EACCES' || code === 'EPERM') return `permission denied (run meetsync as a user that can ${access} it)`;
  if (typeof code === 'string' && WORDS[code]) return WORDS[code];
  const message = err instanceof Error ? err.message : String(err);
  // An errno we have no words for: its text without the leading code and the repeated path.
  return message.replace(/^[A-Z][A-Z0-9_]+: /, '').replace(/, \w+ '.*'$/, '');
}
