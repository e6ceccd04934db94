import { parseXmlDocument } from '../../lib/config/parse-xml-document';
import { ConfigError } from '../../lib/errors';

// Found while hardening the config loader: the scan for an XML declaration's encoding was
// unbounded, so 60,000 unclosed `<?xml ` (360 kB) took 29 s; and the XML validator quotes
// the whole stack of open tags in its message (megabytes for 100,000 of them).

function errorOf(src: string): { error: ConfigError; ms: number } {
  const t0 = performance.now();
  try {
    parseXmlDocument(src, 'vhosts.xml');
  } catch (e) {
    if (e instanceof ConfigError) return { error: e, ms: performance.now() - t0 };
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('hostile XML', () => {
  it('60,000 unclosed <?xml declarations are rejected in well under the 29 s they took', () => {
    const { error, ms } = errorOf('<?xml '.repeat(60_000));
    expect(error.message).toMatch(/^malformed XML: /);
    expect(ms).toBeLessThan(5000); // linear: ~0.1 s here, 5 s even on a busy machine
  });

  it('100,000 unclosed tags give a message of bounded length', () => {
    const { error } = errorOf('<a>'.repeat(100_000));
    expect(error.message).toMatch(/^malformed XML: /);
    expect(error.message.length).toBeLessThanOrEqual(216);
    expect(error.message.length).toBeGreaterThan(20);
  });
});
