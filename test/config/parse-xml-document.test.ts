import { parseXmlDocument, type XmlElement } from '../../lib/config/parse-xml-document';

/** Every element as `path@line:column`, in document order. */
const where = (el: XmlElement): string[] => [`${el.path}@${el.line}:${el.column}`, ...el.children.flatMap(where)];

describe('parseXmlDocument positions', () => {
  it.each<[string, string, string[]]>([
    ['nested elements', '<A>\n  <B/>\n  <C><D>x</D></C>\n</A>', ['A@1:1', 'A/B@2:3', 'A/C@3:3', 'A/C/D@3:6']],
    ['a declaration and comments before and between', '<?xml version="1.0"?>\n<!-- <Fake/> -->\n<A><!-- <B/> --><B/></A>', ['A@3:1', 'A/B@3:17']],
    ['CDATA that looks like tags', '<A><![CDATA[<X><Y/>]]><B/></A>', ['A@1:1', 'A/B@1:23']],
    ['a quoted attribute holding ">"', '<A Name="a>b"><B x=\'>\'/><C/></A>', ['A[a>b]@1:1', 'A[a>b]/B@1:15', 'A[a>b]/C@1:25']],
    ['a processing instruction inside', '<A><?pi <B/> ?><B/></A>', ['A@1:1', 'A/B@1:16']],
    ['CRLF line ends', '<A>\r\n<B/>\r\n</A>', ['A@1:1', 'A/B@2:1']],
  ])('finds each element where it is written: %s', (_what, xml, expected) => {
    expect(where(parseXmlDocument(xml, 'x.xml'))).toEqual(expected);
  });
});
