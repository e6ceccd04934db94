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
  captureMetaData: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: false,
});
const META = XMLParser.getMetaDataSymbol() as unknown as string;

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

/**
 * Parse one config file. Malformed XML is one ConfigError with the validator's line and
 * column; the caller collects it with the other files' errors.
 * @throws ConfigError
 */
export function parseXmlDocument(source: string, file: string): XmlElement {
  const text = source.replace(/^\uFEFF/, '');
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) {
    throw new ConfigError(`malformed XML: ${valid.err.msg}`, { file, line: valid.err.line, column: valid.err.col });
  }
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const at = (index: number): { line: number; column: number } => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] as number) <= index) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: index - (lineStarts[lo] as number) + 1 };
  };
  const nodes = parser.parse(text) as OrderedNode[];
  const roots = nodes.map((n) => toElement(n, '', text, at)).filter((e): e is XmlElement => e !== null);
  if (roots.length !== 1) throw new ConfigError(`expected exactly one root element, found ${roots.length}`, { file, line: 1, column: 1 });
  return roots[0] as XmlElement;
}

function toElement(node: OrderedNode, parentPath: string, source: string, at: (i: number) => { line: number; column: number }): XmlElement | null {
  const name = Object.keys(node).find((k) => k !== ':@' && k !== '#text');
  if (name === undefined) return null;
  const meta = (node as Record<string, unknown>)[META] as { startIndex?: number } | undefined;
  const start = meta?.startIndex ?? 0;
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
      const c = toElement(child, path, source, at);
      if (c) el.children.push(c);
    }
  }
  el.text = texts.join('').trim();
  return el;
}
