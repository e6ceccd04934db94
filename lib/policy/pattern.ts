/** A compiled `*` pattern: a plain function, no RegExp (docs/spec.md §2). */
export type PatternMatcher = (text: string) => boolean;

/**
 * Compile a pattern in which `*` matches any run of characters, `/` included, and every
 * other character stands for itself. Built once at load time; matching is linear in the
 * input and never backtracks exponentially (fixed pieces are found with indexOf, leftmost).
 *
 * @example
 * compilePattern('/vod/*.mp4')('/vod/a/b.mp4') // true
 */
export function compilePattern(pattern: string, caseInsensitive = false): PatternMatcher {
  const source = caseInsensitive ? pattern.toLowerCase() : pattern;
  const fold = caseInsensitive ? (s: string) => s.toLowerCase() : (s: string) => s;
  const parts = source.split('*');
  if (parts.length === 1) return (text) => fold(text) === source;
  const head = parts[0] as string;
  const tail = parts[parts.length - 1] as string;
  const middle = parts.slice(1, -1).filter((p) => p.length > 0);
  const minLength = head.length + tail.length + middle.reduce((n, p) => n + p.length, 0);
  if (middle.length === 0) {
    if (head === '' && tail === '') return () => true;
    return (text) => {
      const t = fold(text);
      return t.length >= minLength && t.startsWith(head) && t.endsWith(tail);
    };
  }
  return (text) => {
    const t = fold(text);
    if (t.length < minLength || !t.startsWith(head) || !t.endsWith(tail)) return false;
    let at = head.length;
    const end = t.length - tail.length;
    for (const piece of middle) {
      const found = t.indexOf(piece, at);
      if (found < 0 || found + piece.length > end) return false;
      at = found + piece.length;
    }
    return true;
  };
}
