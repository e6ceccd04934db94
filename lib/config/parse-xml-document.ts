import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ConfigError } from '../errors';

/** An element of a config XML file, with where it is, for errors that name line:column. */
export interface XmlElement {
  name: string;
  /** Attribute values by name, as written. */
  attrs: Record<string, string>;
  /** Where each attribute is written (line, column). */
  attrAt: Record<string, { line: number; column: number }>;
  /** Concatenated, trimmed text content. */
  text: string;
  children: XmlElement[];
  line: number;
  column: number;
  /** `Vhosts/Vhost[www.example.com]/Options`. */
  path: string;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: false,
});

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

/** Config files nest six deep (`Server/VHostDefault/Options/BandwidthThrottling/Settings/Bandwidth`). */
export const MAX_XML_DEPTH = 16;

/**
 * Parse one config file. Every failure is one ConfigError with a line and column, whatever
 * the parser's own error: malformed XML (the validator's place), an empty file, a DOCTYPE
 * (config files need no DTD, and entities are a way to read other files or blow up memory),
 * an encoding other than UTF-8, elements nested deeper than {@link MAX_XML_DEPTH}. The caller
 * collects it with the other files' errors.
 * @throws ConfigError
 */
export function parseXmlDocument(source: string, file: string): XmlElement {
  const text = source.replace(/^\uFEFF/, '');
  if (text.trim() === '') throw new ConfigError('empty file; expected an XML document', { file, line: 1, column: 1 });
  const at = positions(text);
  const banned = bannedMarkup(text);
  if (banned) throw new ConfigError(banned.message, { file, ...at(banned.index) });
  let valid: ReturnType<typeof XMLValidator.validate>;
  try {
    valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  } catch (e) {
    throw new ConfigError(`malformed XML: ${clip((e as Error).message)}`, { file, line: 1, column: 1 });
  }
  if (valid !== true) {
    throw new ConfigError(`malformed XML: ${clip(valid.err.msg)}`, { file, line: valid.err.line, column: valid.err.col });
  }
  const deep = tooDeep(text);
  if (deep >= 0) throw new ConfigError(`elements nested more than ${MAX_XML_DEPTH} deep; a config file needs at most 6`, { file, ...at(deep) });
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(text) as OrderedNode[];
  } catch (e) {
    throw new ConfigError(`malformed XML: ${clip((e as Error).message)}`, { file, line: 1, column: 1 });
  }
  const starts = startTags(text);
  const next = (): number => starts.shift() ?? 0;
  const roots = nodes.map((n) => toElement(n, '', text, at, next)).filter((e): e is XmlElement => e !== null);
  if (roots.length !== 1) throw new ConfigError(`expected exactly one root element, found ${roots.length}`, { file, line: 1, column: 1 });
  return roots[0] as XmlElement;
}

/** A parser message, cut short: some quote the whole open-tag stack. */
const clip = (msg: string): string => (msg.length > 200 ? `${msg.slice(0, 200)}…` : msg);

/** Index → 1-based line and column. */
function positions(text: string): (index: number) => { line: number; column: number } {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  return (index: number): { line: number; column: number } => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] as number) <= index) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: index - (lineStarts[lo] as number) + 1 };
  };
}

/** A comment or CDATA section from its start, skipped when looking for markup. */
const SKIP = /<!--[\s\S]*?(?:-->|$)|<!\[CDATA\[[\s\S]*?(?:\]\]>|$)/y;

/** A DOCTYPE, or an XML declaration naming an encoding other than UTF-8: what and where. */
function bannedMarkup(text: string): { message: string; index: number } | null {
  // Bounded, so that many unclosed `<?xml ` cannot make the scan quadratic.
  const re = /<!--|<!\[CDATA\[|<!DOCTYPE|<\?xml\s[^>]{0,200}?encoding\s*=\s*["']([^"']{0,40})["']/gi;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const open = m[0].toUpperCase();
    if (open === '<!--' || open === '<![CDATA[') {
      SKIP.lastIndex = m.index;
      SKIP.exec(text);
      re.lastIndex = Math.max(SKIP.lastIndex, m.index + 1);
    } else if (open === '<!DOCTYPE') return { message: 'a DOCTYPE is not allowed in a config file (no DTD, no entities)', index: m.index };
    else if (!/^utf-?8$/i.test(m[1] ?? '')) return { message: `encoding "${m[1]}" is not supported; config files are UTF-8`, index: m.index };
  }
  return null;
}

/**
 * The index of the first start tag deeper than MAX_XML_DEPTH, or -1. Runs on validated XML,
 * so tags are balanced and attribute values quoted.
 */
function tooDeep(text: string): number {
  const re = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<(\/?)[^\s/>!?](?:[^>"']|"[^"]*"|'[^']*')*?(\/?)>/g;
  let depth = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[1] === '/') depth--;
    else if (m[0].startsWith('<!') || m[0].startsWith('<?')) continue;
    else if (m[2] !== '/' && ++depth > MAX_XML_DEPTH) return m.index;
  }
  return -1;
}

/**
 * The offset of every element's start tag, in document order: the order a pre-order walk of
 * the parsed tree meets the elements (fast-xml-parser 4 keeps no positions). Comments, CDATA,
 * processing instructions, the declaration and end tags are skipped. Runs on validated XML.
 */
function startTags(text: string): number[] {
  const out: number[] = [];
  const skip: Array<[string, string]> = [['<!--', '-->'], ['<![CDATA[', ']]>'], ['<?', '?>'], ['<!', '>'], ['</', '>']];
  let i = text.indexOf('<');
  while (i >= 0) {
    const pair = skip.find(([open]) => text.startsWith(open, i));
    if (pair) {
      const end = text.indexOf(pair[1], i + pair[0].length);
      if (end < 0) break;
      i = text.indexOf('<', end + pair[1].length);
      continue;
    }
    out.push(i);
    // Attribute values may hold '>' only when quoted: step over quoted runs to the tag's end.
    let j = i + 1;
    let quote = '';
    for (; j < text.length; j++) {
      const c = text[j];
      if (quote) {
        if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '>') break;
    }
    i = text.indexOf('<', j + 1);
  }
  return out;
}

function toElement(node: OrderedNode, parentPath: string, source: string, at: (i: number) => { line: number; column: number }, next: () => number): XmlElement | null {
  const name = Object.keys(node).find((k) => k !== ':@' && k !== '#text');
  if (name === undefined) return null;
  const start = next();
  const pos = at(start);
  const attrs: Record<string, string> = { ...(node[':@'] ?? {}) };
  const attrAt: Record<string, { line: number; column: number }> = {};
  const tagEnd = source.indexOf('>', start);
  const tag = source.slice(start, tagEnd < 0 ? undefined : tagEnd);
  for (const a of Object.keys(attrs)) {
    const m = new RegExp(`\\s${a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*=`).exec(tag);
    attrAt[a] = m ? at(start + m.index + 1) : pos;
  }
  const self = attrs.Name !== undefined ? `${name}[${attrs.Name}]` : name;
  const path = parentPath ? `${parentPath}/${self}` : self;
  const el: XmlElement = { name, attrs, attrAt, text: '', children: [], line: pos.line, column: pos.column, path };
  const body = node[name];
  const texts: string[] = [];
  if (Array.isArray(body)) {
    for (const child of body as OrderedNode[]) {
      if ('#text' in child) texts.push(String(child['#text']));
      const c = toElement(child, path, source, at, next);
      if (c) el.children.push(c);
    }
  }
  el.text = texts.join('').trim();
  return el;
}
