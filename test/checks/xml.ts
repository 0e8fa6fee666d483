// A tiny strict XML parser for the tests: enough of XML 1.0 to prove a JUnit file is well formed
// (one root, balanced tags, quoted attributes, no duplicate attributes, only the five predefined
// entities or character references, no raw '<' or '&' in text or attributes, no control
// characters) and to walk the tree. Written without regular expressions over the document.
export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

const NAME_START = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === ':';
const NAME_CHAR = (c: string) => NAME_START(c) || (c >= '0' && c <= '9') || c === '-' || c === '.';
const SPACE = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

export function parseXml(doc: string): XmlNode {
  let i = 0;
  const fail = (msg: string): never => {
    throw new Error(`XML error at ${i}: ${msg}`);
  };
  const skipSpace = () => {
    while (SPACE(doc[i])) i++;
  };
  const readName = (): string => {
    if (!NAME_START(doc[i] ?? '')) fail(`expected a name, got ${JSON.stringify(doc[i])}`);
    const s = i;
    while (i < doc.length && NAME_CHAR(doc[i]!)) i++;
    return doc.slice(s, i);
  };
  const decode = (raw: string, inAttr: boolean): string => {
    let out = '';
    for (let k = 0; k < raw.length; k++) {
      const c = raw[k]!;
      const code = c.charCodeAt(0);
      if (code < 0x20 && c !== '\t' && c !== '\n' && c !== '\r') fail(`control character U+${code.toString(16)}`);
      if (c === '<') fail('raw < in text or attribute');
      if (inAttr && c === '"') fail('raw " in attribute');
      if (c !== '&') {
        out += c;
        continue;
      }
      const end = raw.indexOf(';', k);
      if (end === -1) fail('unterminated entity');
      const ent = raw.slice(k + 1, end);
      const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
      if (ent in named) out += named[ent];
      else if (ent.startsWith('#x')) out += String.fromCodePoint(parseInt(ent.slice(2), 16));
      else if (ent.startsWith('#')) out += String.fromCodePoint(parseInt(ent.slice(1), 10));
      else fail(`unknown entity &${ent};`);
      k = end;
    }
    return out;
  };

  if (doc.startsWith('<?xml')) {
    const end = doc.indexOf('?>');
    if (end === -1) fail('unterminated XML declaration');
    i = end + 2;
  }
  skipSpace();
  const stack: XmlNode[] = [];
  let root: XmlNode | null = null;
  while (i < doc.length) {
    if (doc[i] === '<') {
      if (doc[i + 1] === '/') {
        i += 2;
        const name = readName();
        skipSpace();
        if (doc[i] !== '>') fail('expected > after closing tag name');
        i++;
        const open = stack.pop();
        if (!open || open.name !== name) fail(`closing </${name}> does not match <${open?.name}>`);
        if (stack.length === 0) {
          skipSpace();
          if (i < doc.length) fail('content after the root element');
        }
        continue;
      }
      i++;
      const node: XmlNode = { name: readName(), attrs: {}, children: [], text: '' };
      for (;;) {
        const hadSpace = SPACE(doc[i]);
        skipSpace();
        if (doc[i] === '/' && doc[i + 1] === '>') {
          i += 2;
          break;
        }
        if (doc[i] === '>') {
          i++;
          stack.push(node);
          break;
        }
        if (!hadSpace) fail('attributes must be separated by space');
        const an = readName();
        skipSpace();
        if (doc[i] !== '=') fail('expected =');
        i++;
        skipSpace();
        if (doc[i] !== '"' && doc[i] !== "'") fail('attribute values must be quoted');
        const qch = doc[i]!;
        const end = doc.indexOf(qch, i + 1);
        if (end === -1) fail('unterminated attribute');
        if (an in node.attrs) fail(`duplicate attribute ${an}`);
        node.attrs[an] = decode(doc.slice(i + 1, end), qch === '"');
        i = end + 1;
      }
      const parent = stack[stack.length - (stack[stack.length - 1] === node ? 2 : 1)];
      if (parent) parent.children.push(node);
      else if (root) fail('second root element');
      else root = node;
      if (!stack.includes(node) && !parent) {
        skipSpace();
        if (i < doc.length) fail('content after the root element');
      }
      continue;
    }
    const next = doc.indexOf('<', i);
    const raw = doc.slice(i, next === -1 ? doc.length : next);
    if (stack.length === 0) {
      if (raw.trim()) fail('text outside the root element');
    } else stack[stack.length - 1]!.text += decode(raw, false);
    i = next === -1 ? doc.length : next;
  }
  if (stack.length) fail(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (!root) fail('no root element');
  return root!;
}
