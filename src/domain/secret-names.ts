/**
 * The one rule for secret names, shared by every Secrets adapter (local files, Secrets Manager):
 * a letter or digit, then letters, digits, `.`, `_`, `-`; 1-128 characters; no `..`. A name is a
 * file name in the local store, so nothing that could reach outside it (a path, `..`) gets through.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isValidSecretName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name) && !name.includes('..');
}
