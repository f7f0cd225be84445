import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { SaxesParser } from 'saxes';
import {
  XmlParseError,
  escapeAttribute,
  escapeText,
  parseXml,
  scanXml,
  textContent,
  xpathOf,
  type XmlElement,
} from '../../../../adapters/xml';

function refused(input: string | Uint8Array, reason: string, pattern: RegExp, options = {}): XmlParseError {
  try {
    parseXml(input, options);
  } catch (err) {
    assert.ok(err instanceof XmlParseError, String(err));
    assert.equal(err.code, 'GNC_XML_INVALID');
    assert.equal(err.httpStatus, 400);
    assert.equal(err.reason, reason, err.message);
    assert.match(err.message, pattern);
    return err;
  }
  assert.fail('parsed');
}

describe('parseXml', () => {
  describe('tree', () => {
    it('resolves namespaces, keeps attributes, text, CDATA, positions and offsets', () => {
      const text =
        '<?xml version="1.0" encoding="UTF-8"?>\n<a:x xmlns:a="urn:a" xmlns="urn:d" id="1">\n  <y c="&amp;&#233;">t&lt;<![CDATA[<raw>]]></y><a:z/>\n</a:x>';
      const doc = parseXml(Buffer.from(text));
      const root = doc.root;
      assert.equal(root.uri, 'urn:a');
      assert.equal(root.local, 'x');
      assert.deepEqual(root.namespaces, { a: 'urn:a', '': 'urn:d' });
      assert.deepEqual(
        root.attributes.map((a) => [a.name, a.value]),
        [['id', '1']],
      );
      const y = root.children[0] as XmlElement;
      assert.equal(y.uri, 'urn:d');
      assert.equal(y.attributes[0]?.value, '&é');
      assert.equal(textContent(y), 't<<raw>');
      assert.equal(y.line, 3);
      assert.equal(y.column, 3);
      assert.equal(doc.text.slice(y.start, y.end), '<y c="&amp;&#233;">t&lt;<![CDATA[<raw>]]></y>');
      const z = root.children[1] as XmlElement;
      assert.equal(doc.text.slice(z.start, z.end), '<a:z/>');
      assert.equal(xpathOf(z), '/a:x/a:z');
      assert.equal(doc.declaration?.encoding, 'UTF-8');
    });

    it("ends an element's namespace declarations with the element, self-closing or not", () => {
      for (const first of ['<a xmlns="urn:d" xmlns:p="urn:p"></a>', '<a xmlns="urn:d" xmlns:p="urn:p"/>']) {
        for (const input of [`<r>${first}<b/></r>`, Buffer.from(`<r>${first}<b/></r>`)]) {
          const doc = parseXml(input);
          const [a, b] = doc.root.children as XmlElement[];
          assert.equal(a?.uri, 'urn:d');
          assert.equal(b?.uri, '', `the sibling after ${first} is in no namespace`);
          const uris: string[] = [];
          scanXml(input, {
            startElement: (el) => uris.push(el.uri),
            text: () => undefined,
            endElement: () => undefined,
          });
          assert.deepEqual(uris, ['', 'urn:d', '']);
        }
        refused(`<r>${first}<p:b/></r>`, 'syntax', /unbound namespace prefix: "p"/);
      }
      // Children and their siblings still take what an ancestor declared.
      const nested = parseXml('<r xmlns:p="urn:p"><a xmlns="urn:d"><p:b/></a><p:c/><d/></r>');
      const [a, c, d] = nested.root.children as XmlElement[];
      assert.deepEqual([(a?.children[0] as XmlElement).uri, a?.uri, c?.uri, d?.uri], ['urn:p', 'urn:d', 'urn:p', '']);
    });

    it('names repeated siblings by position in xpathOf', () => {
      const doc = parseXml('<r><i/><i><j/></i></r>');
      const second = doc.root.children[1] as XmlElement;
      assert.equal(xpathOf(second.children[0] as XmlElement), '/r/i[2]/j');
    });

    it('escapes text and attributes so that they read back unchanged', () => {
      const s = 'a&b<c>"d"\te\r\nf';
      const doc = parseXml(`<r v="${escapeAttribute(s)}">${escapeText(s)}</r>`, { keepWhitespaceText: true });
      assert.equal(doc.root.attributes[0]?.value, s);
      assert.equal(textContent(doc.root), s);
    });
  });

  describe('refusals', () => {
    it('refuses a DOCTYPE, billion laughs and external entities with line and column', () => {
      refused(
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY l2 "&lol;&lol;">]>\n<lolz>&l2;</lolz>',
        'doctype',
        /^line 2, column 1: a DOCTYPE \(DTD\) is not accepted/,
      );
      refused('<!-- c -->\n  <!DOCTYPE foo SYSTEM "http://evil/x.dtd"><foo/>', 'doctype', /line 2, column 3/);
      refused(
        '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>',
        'doctype',
        /line 1, column 1/,
      );
      refused('<foo/>\n<!DOCTYPE foo>', 'doctype', /line 2, column 1/);
      // An unterminated internal subset is refused too, not read to the end.
      refused(`<!DOCTYPE a [${'<!ENTITY a "x">'.repeat(1000)}`, 'doctype', /line 1, column 1/);
    });

    it('refuses entity references other than the predefined ones', () => {
      refused('<foo>\n  a &xxe; b</foo>', 'entity', /^line 2, column 5: undefined entity '&xxe;'/);
      refused('<foo a="&ent;"/>', 'entity', /undefined entity/);
    });

    it('refuses limits: size, depth, elements, attributes', () => {
      refused('<a/>'.padEnd(100, ' '), 'limit', /exceed the limit of 50/, { maxBytes: 50 });
      refused(Buffer.from('<a></a>'), 'limit', /exceed the limit of 3/, { maxBytes: 3 });
      refused('<a>'.repeat(65) + '</a>'.repeat(65), 'limit', /nested deeper than 64/);
      refused(`<r>${'<i/>'.repeat(11)}</r>`, 'limit', /more than 10 elements/, { maxElements: 10 });
      refused(`<r ${Array.from({ length: 5 }, (_, i) => `a${i}="1"`).join(' ')}/>`, 'limit', /more than 4 attributes/, {
        maxAttributes: 4,
      });
    });

    it('refuses other encodings and invalid UTF-8', () => {
      refused('<?xml version="1.0" encoding="ISO-8859-1"?><a/>', 'encoding', /UTF-8 only/);
      refused(Buffer.from([0xff, 0xfe, 0x3c, 0x00]), 'encoding', /UTF-16/);
      refused(
        Buffer.from([0x3c, 0x61, 0x3e, 0xc3, 0x28, 0x3c, 0x2f, 0x61, 0x3e]),
        'encoding',
        /line 1, column 4: invalid UTF-8/,
      );
    });

    it('refuses malformed XML and unbound prefixes', () => {
      refused('', 'syntax', /root/);
      refused('<a><b></a>', 'syntax', /line 1/);
      refused('<x:a/>', 'syntax', /unbound namespace prefix/);
      refused('text', 'syntax', /text data outside of root/);
    });

    it('matches an end tag to its start tag code unit by code unit, at any position', () => {
      for (const input of [(t: string) => t, (t: string) => Buffer.from(t)]) {
        assert.equal(parseXml(input('<p:abc xmlns:p="urn:p"><d/></p:abc >')).root.local, 'abc');
        for (const [text, expected] of [
          ['<abc></abd>', 'expected </abc>'],
          ['<abc></xbc>', 'expected </abc>'],
          ['<abc></abcd>', 'expected </abc>'],
          ['<abcd></abc>', 'expected </abcd>'],
          ['<p:abc xmlns:p="urn:p"></q:abc>', 'expected </p:abc>'],
          ['<a><bé></bè></a>', 'expected </bé>'],
          ['<abc></abc', 'malformed close tag'],
        ]) {
          refused(input(text!), 'syntax', new RegExp(expected!));
        }
      }
    });

    it('refuses what XML 1.0 and Namespaces in XML 1.0 forbid, naming the position', () => {
      refused('<a>x]]>y</a>', 'syntax', /line 1, column 5: the string "]]>" is disallowed/);
      refused('<a><!-- x -- y --></a>', 'syntax', /"--" is not allowed in a comment/);
      refused('<a x="1" x="2"/>', 'syntax', /duplicate attribute: x/);
      refused('<a xmlns:p="urn:p" xmlns:q="urn:p" p:x="1" q:x="2"/>', 'syntax', /duplicate attribute: \{urn:p\}x/);
      const many = Array.from({ length: 40 }, (_, i) => `a${i}="1"`).join(' ');
      refused(`<a ${many} a37="2"/>`, 'syntax', /duplicate attribute: a37/);
      const prefixed = Array.from({ length: 40 }, (_, i) => `p:a${i}="1"`).join(' ');
      refused(
        `<a xmlns:p="urn:p" xmlns:q="urn:p" ${prefixed} q:a39="2"/>`,
        'syntax',
        /duplicate attribute: \{urn:p\}a39/,
      );
      assert.equal(parseXml(`<a ${many}/>`).root.attributes.length, 40);
      refused('<a x="1"y="2"/>', 'syntax', /white space expected before an attribute/);
      refused('<a x=1/>', 'syntax', /value not quoted/);
      refused('<a x="<"/>', 'syntax', /"<" is not allowed in a value/);
      refused('<a>\n<b></c></a>', 'syntax', /^line 2, column 4: unexpected close tag <\/c> \(expected <\/b>\)/);
      refused('<a><b>', 'syntax', /unclosed tag: b/);
      refused('<a/><b/>', 'syntax', /a second root element/);
      refused('<a/>x', 'syntax', /text data outside of root node/);
      refused('<![CDATA[x]]><a/>', 'syntax', /text data outside of root node/);
      refused(' <?xml version="1.0"?><a/>', 'syntax', /XML declaration is allowed only at the start/);
      refused('<?xml version="2.0"?><a/>', 'syntax', /malformed XML declaration/);
      refused('<a:b:c xmlns:a="urn:a"/>', 'syntax', /malformed tag name/);
      refused('<1a/>', 'syntax', /malformed tag name/);
      refused('<a:1b xmlns:a="urn:a"/>', 'syntax', /malformed tag name/);
      refused('<a :x="1"/>', 'syntax', /malformed attribute name ':x'/);
      refused('<a x:="1"/>', 'syntax', /malformed attribute name 'x:'/);
      refused('<\u00B7a/>', 'syntax', /malformed tag name/);
      assert.equal(parseXml('<\u00E9l\u00E8ve a\u00B7b="1"/>').root.attributes[0]?.local, 'a\u00B7b');
      refused('<a xmlns:p=""/>', 'syntax', /cannot be undeclared/);
      refused('<a xmlns:xml="urn:x"/>', 'syntax', /prefix xml must be bound/);
      refused('<a xmlns:xmlns="urn:x"/>', 'syntax', /xmlns must not be declared/);
      refused('<a>\u0001</a>', 'syntax', /line 1, column 4: disallowed character U\+0001/);
      refused(Buffer.from('<a>\n\u001f</a>'), 'syntax', /line 2, column 1: disallowed character U\+001F/);
      refused(Buffer.from('<a>\uffff</a>'), 'syntax', /disallowed character U\+FFFF/);
      refused('<a>\ud800</a>', 'syntax', /disallowed character U\+D800/);
      refused('<a>&#0;</a>', 'entity', /malformed character reference '&#0;'/);
      refused('<a>&amp</a>', 'entity', /unterminated entity reference/);
      refused('<a><!DOCTYPE a></a>', 'doctype', /line 1, column 4/);
    });

    it('normalises line ends, attribute white space and character references as XML 1.0 says', () => {
      const doc = parseXml('<a x="1\r\n2\t3&#10;4">l1\r\nl2\rl3&#13;<b/>\r\n<c/></a>');
      assert.equal(doc.root.attributes[0]?.value, '1 2 3\n4');
      assert.equal(textContent(doc.root), 'l1\nl2\nl3\r');
      const c = doc.root.children[2] as XmlElement;
      // CR LF in the attribute, CR LF, a lone CR, CR LF: four line breaks before <c/>.
      assert.deepEqual([c.line, c.column], [5, 1]);
      // One CR early, LF lines after it: the line of an element far down is still counted right.
      const mixed = parseXml(`<a>\r${'\n<b/>'.repeat(1000)}\r\n<c/></a>`);
      const last = mixed.root.children[1000] as XmlElement;
      assert.deepEqual([last.local, last.line, last.column], ['c', 1002, 1]);
      // White space spelt as a character reference is indentation too.
      assert.equal(parseXml('<a>&#32;<b/></a>').root.children.length, 1);
    });

    it('accepts and refuses well-formedness as saxes does, on mutated documents (~1 s)', () => {
      const seed =
        '<?xml version="1.0" encoding="UTF-8"?>\n<a:r xmlns:a="urn:a" xmlns="urn:d" x=\'1\' a:y="&lt;&#233;">' +
        '<b c="2">t&amp;<![CDATA[c]]></b><!--k--><?p q?>\n  <a:e/></a:r>\n<!-- after -->';
      const pieces = [
        '<',
        '>',
        '&',
        ';',
        '"',
        "'",
        ':',
        '=',
        '/',
        '!',
        '?',
        '-',
        ']',
        ' ',
        'xmlns:q="urn:q" ',
        'x',
        '\u0007',
      ];
      const deadline = Date.now() + 1000;
      let runs = 0;
      let rnd = 7;
      const next = (n: number): number => ((rnd = (rnd * 1103515245 + 12345) & 0x7fffffff), rnd % n);
      while (Date.now() < deadline) {
        let input = seed;
        for (let k = 0; k <= next(3); k++) {
          const at = next(input.length + 1);
          input =
            next(2) === 0
              ? input.slice(0, at) + pieces[next(pieces.length)]! + input.slice(at)
              : input.slice(0, at) + input.slice(at + 1 + next(3));
        }
        let ours: XmlParseError | undefined;
        try {
          parseXml(Buffer.from(input));
        } catch (err) {
          assert.ok(err instanceof XmlParseError, String(err));
          ours = err;
        }
        let theirs: unknown;
        try {
          new SaxesParser({ xmlns: true }).write(input).close();
        } catch (err) {
          theirs = err;
        }
        // We never accept what saxes refuses. Only well-formedness is compared (DTDs and entities
        // are our own refusals), and saxes lets a PI target run into '?' without white space.
        if (!ours) assert.equal(theirs, undefined, `${JSON.stringify(input)}: saxes refused it`);
        else if (ours.reason === 'syntax' && !/target not followed by white space/.test(ours.message)) {
          assert.ok(theirs, `${JSON.stringify(input)}: saxes accepted it, we refused: ${ours.message}`);
        }
        runs++;
      }
      assert.ok(runs > 100);
    });

    it('survives a bounded fuzz (~1 s) with XmlParseError only', () => {
      const seed = Buffer.from(
        '<?xml version="1.0"?><a:r xmlns:a="urn:a" x="1"><b>t&amp;</b><![CDATA[c]]><!--k--><?p q?></a:r>',
      );
      const deadline = Date.now() + 1000;
      let runs = 0;
      while (Date.now() < deadline) {
        const input = runs % 3 === 0 ? randomBytes(runs % 300) : Buffer.from(seed);
        if (runs % 3 !== 0)
          for (let e = 0; e <= runs % 5; e++)
            input[Math.floor(Math.random() * input.length)] = Math.floor(Math.random() * 256);
        try {
          parseXml(input);
        } catch (err) {
          assert.ok(err instanceof XmlParseError, `run ${runs}: ${String(err)}`);
        }
        runs++;
      }
      assert.ok(runs > 100);
    });
  });

  describe('ASCII documents (checked four bytes at a time, eight words together)', () => {
    it('refuses every control character but tab, LF and CR, at any position and byte alignment', () => {
      // Longer than two blocks of eight words, so that a character falls in a block, between
      // blocks and in the words after the last block.
      const body = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3);
      for (let offset = 0; offset < 4; offset++) {
        for (let at = 0; at < body.length; at += 3) {
          for (let c = 0; c < 0x20; c++) {
            const text = `<a>${body.slice(0, at)}${String.fromCharCode(c)}${body.slice(at)}</a>`;
            // A view into a larger buffer at `offset`, as a Buffer slice of a received message is.
            const bytes = Buffer.concat([Buffer.alloc(offset, 0x20), Buffer.from(text)]).subarray(offset);
            if (c === 0x09 || c === 0x0a || c === 0x0d) {
              assert.equal(parseXml(bytes).root.local, 'a');
              continue;
            }
            const hex = c.toString(16).toUpperCase().padStart(4, '0');
            const err = refused(bytes, 'syntax', new RegExp(`disallowed character U\\+${hex}`));
            assert.deepEqual([err.line, err.column], [1, 4 + at], `U+${hex} at ${at}, offset ${offset}`);
          }
        }
      }
    });

    it('reads an ASCII document as the same text a UTF-8 decode gives', () => {
      const text = '<a x="&#233;">plain ASCII\ttext &amp; more\r\n<b>1</b></a>';
      const doc = parseXml(Buffer.from(text));
      assert.equal(doc.text, text);
      assert.equal(textContent(doc.root), 'plain ASCII\ttext & more\n1');
    });
  });

  describe('code units (the bytes of an ASCII document, a copy of any other text)', () => {
    /** The tree without parent links, or the error with its position. */
    const outcome = (input: string | Uint8Array): string => {
      try {
        const doc = parseXml(input);
        return JSON.stringify(doc.root, (key, value: unknown) => (key === 'parent' ? undefined : value));
      } catch (err) {
        assert.ok(err instanceof XmlParseError, String(err));
        return `${err.reason} ${err.line}:${err.column} ${err.message}`;
      }
    };

    it('reads every prefix of a document alike from a string, ASCII bytes and UTF-8 bytes', () => {
      const ascii =
        '<?xml version="1.0"?>\n<a:x xmlns:a="urn:a" k=\'v\'>\r\n <b c="1 &amp;\t2">t&#x41;]<![CDATA[c]]></b>' +
        '<!--c--><?p d?><e/><f  g = "h" /></a:x>';
      const other = ascii.replace('<b c', '<bé c').replace('</b>', '</bé>').replace('t&#x41;', 'tü&#x41;');
      let refusals = 0;
      for (let length = 0; length <= ascii.length; length++) {
        const text = ascii.slice(0, length);
        const expected = outcome(text);
        if (!expected.startsWith('{')) refusals++;
        assert.equal(outcome(Buffer.from(text)), expected, text);
        // A plain Uint8Array (not a Buffer) as well.
        assert.equal(outcome(new Uint8Array(Buffer.from(text))), expected, text);
      }
      assert.ok(refusals > 50);
      assert.ok(outcome(ascii).startsWith('{'));
      for (let length = 0; length <= other.length; length++) {
        const text = other.slice(0, length);
        // A cut inside a surrogate pair cannot happen here: é and ü are one code unit each.
        assert.equal(outcome(Buffer.from(text, 'utf8')), outcome(text), text);
      }
      assert.ok(outcome(other).includes('"local":"bé"'));
    });
  });

  describe('scanXml (events instead of a tree)', () => {
    /** The tree as the events it stands for: start (name, uri, attributes, line, column, index), text, end. */
    const treeEvents = (el: XmlElement, out: string[] = []): string[] => {
      const attributes = el.attributes.map((a) => `${a.name}=${a.uri}|${a.value}`).join(' ');
      out.push(`<${el.name} {${el.uri}} ${attributes} @${el.line}:${el.column} #${el.index} parent=${el.parent?.name}`);
      for (const c of el.children) {
        if (c.kind === 'text') out.push(`text ${c.text}`);
        else if (c.kind === 'element') treeEvents(c, out);
      }
      out.push(`</${el.name}>`);
      return out;
    };
    const scannedEvents = (input: string | Uint8Array): { events: string[]; elements: number } => {
      const events: string[] = [];
      const elements = scanXml(input, {
        startElement(el) {
          assert.equal(el.children.length, 0, 'no children are collected');
          const attributes = el.attributes.map((a) => `${a.name}=${a.uri}|${a.value}`).join(' ');
          events.push(
            `<${el.name} {${el.uri}} ${attributes} @${el.line}:${el.column} #${el.index} parent=${el.parent?.name}`,
          );
        },
        text(value) {
          events.push(`text ${value}`);
        },
        endElement(el) {
          events.push(`</${el.name}>`);
        },
      });
      return { events, elements };
    };

    it('reports the elements and text of the tree parseXml builds, in document order', () => {
      const documents = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<a:x xmlns:a="urn:a" xmlns="urn:d" id="1">\n  <y c="&amp;&#233;">t&lt;<![CDATA[<raw>]]></y><a:z/>\n</a:x>',
        '<r><!--c--><a>1</a><a q="2">x<b/>y</a><?pi data?><c xmlns="urn:c"><d/></c></r>',
        `<a>\r${'\n<b>t</b>'.repeat(50)}\r\n<c/></a>`,
      ];
      for (const text of documents) {
        const tree = parseXml(Buffer.from(text));
        const scanned = scannedEvents(Buffer.from(text));
        assert.deepEqual(scanned.events, treeEvents(tree.root), text);
        assert.equal(scanned.elements, tree.elementCount);
      }
    });

    it('refuses what parseXml refuses, with the same error', () => {
      const noop = { startElement() {}, text() {}, endElement() {} };
      for (const text of [
        '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
        '<a>&ent;</a>',
        '<a><b></a>',
        '<a xmlns:p="urn:p"><q:b/></a>',
        '<a>\u0007</a>',
        '<a/><b/>',
      ]) {
        let expected: XmlParseError | undefined;
        try {
          parseXml(Buffer.from(text));
        } catch (err) {
          expected = err as XmlParseError;
        }
        assert.ok(expected instanceof XmlParseError, text);
        assert.throws(
          () => scanXml(Buffer.from(text), noop),
          (err: Error) =>
            err instanceof XmlParseError && err.reason === expected.reason && err.message === expected.message,
          text,
        );
      }
      assert.throws(() => scanXml('<a><b/><c/></a>', noop, { maxElements: 2 }), /more than 2 elements/);
    });

    it('ends the scan with the error the handler throws', () => {
      const stop = new Error('stop');
      let starts = 0;
      assert.throws(
        () =>
          scanXml('<a><b/><c/></a>', {
            startElement() {
              if (++starts === 2) throw stop;
            },
            text() {},
            endElement() {},
          }),
        (err: unknown) => err === stop,
      );
      assert.equal(starts, 2);
    });
  });
});
