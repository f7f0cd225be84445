import { strict as assert } from 'node:assert';
import { EdifactSyntaxError, defaultSeparators, parseInterchange, tokenize } from '../../../../adapters/format/edifact';
import { internedTag } from '../../../../adapters/format/edifact/syntax';
import { split } from '../../../../adapters/format/edifact/values';
import { FormatInvalidError } from '../../../../node/src/canonical';

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

/** A syntax-3 interchange with one message whose body is `body` (segments, terminated). */
function interchange(
  body: string,
  opts: { count?: number; untRef?: string; unzCount?: number; unzRef?: string } = {},
): string {
  const n = body.split("'").filter((s) => s.trim() !== '').length + 2;
  return (
    "UNB+UNOC:3+SENDER:ZZZ+RECIPIENT:ZZZ+260414:0230+REF1'" +
    "UNH+M1+CUSDEC:D:96B:UN'" +
    body +
    `UNT+${opts.count ?? n}+${opts.untRef ?? 'M1'}'` +
    `UNZ+${opts.unzCount ?? 1}+${opts.unzRef ?? 'REF1'}'`
  );
}

function rejects(
  input: string | Buffer,
  check: Partial<{ segment: string; segmentNumber: number; line: number; element: string; code: string }>,
  message?: RegExp,
): void {
  assert.throws(
    () => parseInterchange(typeof input === 'string' ? bytes(input) : input),
    (err: unknown) => {
      assert.ok(err instanceof EdifactSyntaxError, `expected EdifactSyntaxError, got ${String(err)}`);
      assert.ok(err instanceof FormatInvalidError);
      assert.equal(err.code, 'GNC_FORMAT_INVALID');
      if (check.segment !== undefined) assert.equal(err.position.segment, check.segment);
      if (check.segmentNumber !== undefined) assert.equal(err.position.segmentNumber, check.segmentNumber);
      if (check.line !== undefined) assert.equal(err.position.line, check.line);
      if (check.element !== undefined) assert.equal(err.position.element, check.element);
      if (check.code !== undefined) assert.equal(err.syntaxErrorCode, check.code);
      if (message) assert.match(err.message, message);
      return true;
    },
  );
}

describe('edifact syntax', () => {
  describe('tokenize', () => {
    const seps = defaultSeparators(3);

    it('splits segments, elements and components', () => {
      const [seg] = tokenize("NAD+CZ+ID:EORI++NAME'", seps);
      assert.equal(seg?.tag, 'NAD');
      assert.deepEqual(seg?.elements, [['CZ'], ['ID', 'EORI'], [''], ['NAME']]);
    });

    it('keeps empty optional composites and components (MOA+39::AUD, BGM+830:::EXD)', () => {
      const [moa, bgm] = tokenize("MOA+39::AUD'BGM+830:::EXD+200401270001:1+9'", seps);
      assert.deepEqual(moa?.elements, [['39', '', 'AUD']]);
      assert.deepEqual(bgm?.elements, [['830', '', '', 'EXD'], ['200401270001', '1'], ['9']]);
    });

    it('gives every element and component, however many a segment and a composite have (none to six)', () => {
      for (let elements = 0; elements <= 6; elements++) {
        for (let components = 1; components <= 6; components++) {
          const composite = Array.from({ length: components }, (_, c) => `C${c}`);
          const expected = Array.from({ length: elements }, (_, e) => (e % 2 === 0 ? [`E${e}`] : composite));
          const text = `TST${expected.map((el) => `+${el.join(':')}`).join('')}'`;
          const [seg] = tokenize(text, seps);
          assert.equal(seg?.tag, 'TST');
          assert.deepEqual(seg?.elements, expected, text);
          assert.equal(seg?.elements.length, elements, text);
        }
      }
    });

    it('gives each tag its own string, for every tag of letters and digits (the corners of the table too)', () => {
      const chars = '019AJZ';
      for (const a of chars)
        for (const b of chars)
          for (const c of chars) {
            const tag = a + b + c;
            assert.equal(internedTag(tag), tag);
            assert.equal(internedTag(tag.slice(0)), tag);
          }
      const segs = tokenize("UNH+1'A1Z+2'000+3'ZZZ'UNH+4'", seps);
      assert.deepEqual(
        segs.map((seg) => seg.tag),
        ['UNH', 'A1Z', '000', 'ZZZ', 'UNH'],
      );
    });

    it('applies the release character to every service character and to itself', () => {
      const [seg] = tokenize("FTX+AAA+++1?+1?:2?'s ?? done'", seps);
      assert.deepEqual(seg?.elements[3], ["1+1:2's ? done"]);
    });

    it('numbers segments and lines across CR LF layout', () => {
      const segs = tokenize("AAA+1'\r\nBBB+2'\r\n\r\nCCC'", seps);
      assert.deepEqual(
        segs.map((s) => [s.tag, s.number, s.line]),
        [
          ['AAA', 1, 1],
          ['BBB', 2, 2],
          ['CCC', 3, 4],
        ],
      );
    });

    it('refuses a bad tag, a release at the end and an unterminated segment', () => {
      assert.throws(() => tokenize("ab+1'", seps), /segment tag "ab"/);
      // Known tags (NAD, BGM) and new ones alike: case, length, a component separator after the tag.
      assert.throws(() => tokenize("NAD+1'nad+1'", seps), /segment tag "nad"/);
      assert.throws(() => tokenize("NADX+1'", seps), /segment tag "NADX"/);
      assert.throws(() => tokenize("NA'", seps), /segment tag "NA"/);
      for (const text of ["BGM:1'", "QQ7:1'"]) {
        assert.throws(
          () => tokenize(text, seps),
          (e: unknown) =>
            e instanceof EdifactSyntaxError &&
            e.position.segment === text.slice(0, 3) &&
            /segment tag followed by a component separator/.test(e.message),
        );
      }
      // A released character in a tag is read as the character.
      assert.deepEqual(
        tokenize("N?AD+1'B?GM'", seps).map((seg) => [seg.tag, seg.elements]),
        [
          ['NAD', [['1']]],
          ['BGM', []],
        ],
      );
      assert.throws(() => tokenize('FTX+A?', seps), /release character at the end/);
      assert.throws(
        () => tokenize("FTX+A'BGM+1", seps),
        (e: unknown) =>
          e instanceof EdifactSyntaxError && e.position.segmentNumber === 2 && /not terminated/.test(e.message),
      );
    });
  });

  describe('parseInterchange', () => {
    it('reads UNB, the message and UNZ and checks the counts', () => {
      const x = parseInterchange(bytes(interchange("BGM+830+LRN1+9'UNS+D'UNS+S'")));
      assert.equal(x.syntaxIdentifier, 'UNOC');
      assert.equal(x.syntaxVersion, 3);
      assert.equal(x.sender.id, 'SENDER');
      assert.equal(x.recipient.qualifier, 'ZZZ');
      assert.equal(x.controlReference, 'REF1');
      assert.equal(x.messages.length, 1);
      assert.equal(x.messages[0]?.type, 'CUSDEC');
      assert.equal(x.messages[0]?.segments.length, 5);
    });

    it('honours a UNA with other separators and release character', () => {
      const text =
        'UNA|*,! ~UNB*UNOC|3*S*R*260414|0230*9~UNH*1*CUSDEC|D|96B|UN~FTX*AAA***a!*b!|c!~d!!~UNT*3*1~UNZ*1*9~';
      const x = parseInterchange(bytes(text));
      assert.equal(x.hasServiceStringAdvice, true);
      assert.equal(x.separators.decimal, 0x2c);
      assert.deepEqual(x.messages[0]?.segments[1]?.elements[3], ['a*b|c~d!']);
    });

    it('accepts a UTF-8 byte-order mark and a syntax 4 UNOW interchange', () => {
      const text = "UNB+UNOW:4+S+R+20260414:0230+7'UNH+1+CUSDEC:D:96B:UN'FTX+AAA+++深圳'UNT+3+1'UNZ+1+7'";
      const x = parseInterchange(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]));
      assert.equal(x.hasByteOrderMark, true);
      assert.equal(x.syntaxVersion, 4);
      assert.equal(x.messages[0]?.segments[1]?.elements[3]?.[0], '深圳');
    });

    it('reads functional groups and checks UNE', () => {
      const text =
        "UNB+UNOC:3+S+R+260414:0230+7'UNG+CUSDEC+S+R+260414:0230+G1+UN+D:96B'UNH+1+CUSDEC:D:96B:UN'UNT+2+1'UNE+1+G1'UNZ+1+7'";
      assert.equal(parseInterchange(bytes(text)).messages[0]?.groupReference, 'G1');
      rejects(text.replace('UNE+1+G1', 'UNE+2+G1'), { segment: 'UNE', element: '0060', code: '29' });
      rejects(text.replace('UNE+1+G1', 'UNE+1+G2'), { segment: 'UNE', element: '0048', code: '28' });
    });

    it('names UNT when its segment count is wrong', () => {
      rejects(
        interchange("BGM+830+LRN1+9'", { count: 4 }),
        { segment: 'UNT', segmentNumber: 4, line: 1, element: '0074', code: '29' },
        /segment count 4 does not match the 3 segments of message 'M1'/,
      );
    });

    it('names UNT when its reference differs from UNH', () => {
      rejects(interchange("BGM+830+LRN1+9'", { untRef: 'M2' }), { segment: 'UNT', element: '0062', code: '28' });
    });

    it('names UNZ when its control count or reference is wrong', () => {
      rejects(
        interchange("BGM+830+LRN1+9'", { unzCount: 2 }),
        { segment: 'UNZ', segmentNumber: 5, element: '0036', code: '29' },
        /control count 2 does not match the 1 message/,
      );
      rejects(interchange("BGM+830+LRN1+9'", { unzRef: 'REF2' }), { segment: 'UNZ', element: '0020', code: '28' });
    });

    it('refuses a missing UNT, a missing UNZ and data after UNZ', () => {
      rejects(
        "UNB+UNOC:3+S+R+260414:0230+7'UNH+1+CUSDEC:D:96B:UN'BGM+1'UNZ+1+7'",
        { segment: 'UNH', code: '13' },
        /has no UNT/,
      );
      // The scan for UNT passes over UNS and other user segments, and stops at the next UNH or UNG or the end.
      rejects(
        "UNB+UNOC:3+S+R+260414:0230+7'UNH+1+CUSDEC:D:96B:UN'BGM+1'UNS+D'UNH+2+CUSDEC:D:96B:UN'UNT+2+2'UNZ+2+7'",
        { segment: 'UNH', segmentNumber: 2, code: '13' },
        /message '1' has no UNT \(UNH at segment 5 comes first\)/,
      );
      rejects(
        "UNB+UNOC:3+S+R+260414:0230+7'UNH+1+CUSDEC:D:96B:UN'UNS+D'UNG+X+S+R+260414:0230+1+UN+D:96B'",
        { segment: 'UNH', code: '13' },
        /has no UNT \(UNG at segment 4 comes first\)/,
      );
      rejects(
        "UNB+UNOC:3+S+R+260414:0230+7'UNH+1+CUSDEC:D:96B:UN'BGM+1'UNS+D'",
        { segment: 'UNH', code: '13' },
        /has no UNT$/,
      );
      rejects("UNB+UNOC:3+S+R+260414:0230+7'UNH+1+CUSDEC:D:96B:UN'UNT+2+1'", { code: '13' }, /ends without UNZ/);
      rejects(interchange("BGM+1'") + "BGM+2'", { segment: 'BGM', segmentNumber: 6 }, /after UNZ/);
    });

    it('refuses unsupported syntax versions and bad UNB dates by element', () => {
      rejects("UNB+UNOA:2+S+R+260414:0230+7'UNZ+0+7'", { segment: 'UNB', element: 'S001/0002', code: '2' });
      rejects("UNB+UNOB+S+R+260414:0230+7'UNZ+0+7'", { segment: 'UNB', element: 'S001/0002', code: '13' });
      rejects("UNB+UNOC:4+S+R+260414:0230+7'UNZ+0+7'", { segment: 'UNB', element: 'S004/0017' }, /CCYYMMDD/);
      rejects("UNB+UNOQ:3+S+R+260414:0230+7'UNZ+0+7'", { segment: 'UNB', element: 'S001/0001' });
    });

    it('refuses the repetition separator in syntax 4 data (not used by D96B/D99B)', () => {
      rejects(
        "UNB+UNOC:4+S+R+20260414:0230+7'UNH+1+CUSDEC:D:96B:UN'FTX+A*B'UNT+3+1'UNZ+1+7'",
        { segment: 'FTX', segmentNumber: 3 },
        /repetition/,
      );
    });

    it('refuses bytes outside UNOA/UNOB and invalid UTF-8 for UNOW', () => {
      rejects(Buffer.from("UNB+UNOB:3+S+R+260414:0230+7'UNH+1+X:D:96B:UN'FTX+\u00e9'UNT+3+1'UNZ+1+7'", 'latin1'), {
        code: '21',
      });
      rejects(
        Buffer.concat([
          bytes("UNB+UNOW:4+S+R+20260414:0230+7'UNH+1+X:D:96B:UN'FTX+"),
          Buffer.from([0xc3, 0x28]),
          bytes("'UNT+3+1'UNZ+1+7'"),
        ]),
        { code: '21' },
      );
    });
  });
});

describe('split (free text over several components)', () => {
  it('cuts by characters, keeping a surrogate pair whole, and refuses text beyond the last piece', () => {
    assert.deepEqual(split('abcdefg', 3, 3, 'FTX'), ['abc', 'def', 'g']);
    assert.deepEqual(split('ab\u{1F600}cd', 3, 3, 'FTX'), ['ab\u{1F600}', 'cd']);
    assert.deepEqual(split('', 3, 3, 'FTX'), []);
    assert.throws(
      () => split('abcdefghij', 3, 3, 'FTX'),
      (err: unknown) => err instanceof EdifactSyntaxError && /10 characters exceed the 9/.test(err.message),
    );
  });
});
