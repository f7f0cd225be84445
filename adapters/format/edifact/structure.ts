/**
 * Message structures (segment tables) and the matcher that reads a message's segments into its
 * segment groups, checking order, mandatory segments and repetitions.
 *
 * The tables are our own compact notation of the UN/EDIFACT D96B and D99B directories (derived at
 * development time from the segment tables in $GNC_CONFORMANCE_DIR/edifact-structure, which are
 * not part of this repository): `TAG<max>` is a segment, `!` marks it mandatory, and
 * `SGn(<max> ...)` is a segment group whose first entry is its trigger segment.
 */
import { EdifactSyntaxError, SyntaxErrorCode as E } from './errors';
import { internedTag, type EdifactMessage, type Segment } from './syntax';

interface SegmentEntry {
  readonly kind: 'segment';
  readonly tag: string;
  readonly mandatory: boolean;
  readonly max: number;
}

interface GroupEntry {
  readonly kind: 'group';
  readonly id: string;
  readonly mandatory: boolean;
  readonly max: number;
  readonly children: readonly Entry[];
  /** Tag of the trigger (first) segment. */
  readonly trigger: string;
  /**
   * The tag each child starts with (a segment's tag, a group's trigger), by child index: the
   * matcher compares every segment against these, and reading them from one array of strings
   * avoids a load from two kinds of entry object per comparison.
   */
  readonly childTags: readonly string[];
}

type Entry = SegmentEntry | GroupEntry;

/** One occurrence of a segment group (or the whole message, id 'message'). */
export interface GroupNode {
  readonly id: string;
  /** The group's own segments, in order (the trigger first). */
  readonly segments: Segment[];
  /** Nested group occurrences, in order. */
  readonly groups: GroupNode[];
}

const CUSDEC_HEADER =
  'UNH!1 BGM!1 CST1 LOC99 DTM15 GIS25 FII1 MEA5 EQD999 SEL999 FTX99 SG1(99 RFF!1 DTM1 SG2(10 PAC!1 SG3(999 PCI!1 FTX1))) ' +
  'SG4(5 TDT!1 TPL1) SG5(10 DOC!1 DTM2 LOC1) SG6(10 NAD!1 RFF10 CTA1 COM5) SG7(1 TOD!1 LOC2 FTX1) ' +
  'SG8(25 MOA!1 SG9(1 CUX!1 DTM1)) UNS!1 ';
const CUSDEC_SG10 = (sg21Extra: string, mea: number): string =>
  'SG10(999 DMS!1 DTM1 MEA5 SG11(25 MOA!1 SG12(1 CUX!1 DTM1)) SG13(1 TOD!1 LOC2 FTX1) ' +
  'SG14(10 NAD!1 SG15(10 DOC!1 DTM2 LOC1)) SG16(10 PAC!1 SG17(999 PCI!1 FTX1 RFF1)) SG18(5 PAT!1 MOA1 PCD1 FTX1) ' +
  'SG19(10 ALC!1 RTE1 MOA1 PCD1 QTY1 SG20(1 CUX!1 DTM1)) ' +
  `SG21(9999 LIN!1 PIA1 QTY1 PRI2 PCD1 MEA${mea} QVR5 MOA15 NAD10 GIR9999 ${sg21Extra}SG22(10 DOC!1 DTM2) ` +
  'SG23(10 ALC!1 RTE1 MOA1 PCD1 QTY1 SG24(1 CUX!1 DTM1)) SG25(1 TOD!1 LOC2) SG26(5 PAT!1 MOA1 PCD1 FTX1) ' +
  'SG27(5 IMD!1 FTX1) SG28(10 PAC!1 SG29(999 PCI!1 FTX1 RFF1)))) ';
const CUSDEC_ITEMS = (max: number): string =>
  `SG30(${max} CST!1 FTX9 LOC25 DTM5 MEA20 NAD5 TDT9 SG31(10 PAC!1 SG32(999 PCI!1 FTX1)) SG33(25 MOA!1 SG34(1 CUX!1 DTM1)) ` +
  'SG35(999 RFF!1 DTM1 GIN99 MOA1 SG36(1 IMD!1 FTX5)) SG37(25 DOC!1 DTM2 LOC1 NAD5) SG38(1 TOD!1 LOC2 FTX1) ' +
  'SG39(1 GDS!1 FTX1) SG40(25 GIS!1 PCD1 DTM1 RFF1) SG41(10 TAX!1 MOA2 GIS1) SG42(1 QVR!1 QTY1 SG43(1 RFF!1 DTM1)) ' +
  'SG44(50 GIR!1 GIS10 NAD1 MEA5 SG45(10 MOA!1 SG46(1 CUX!1 DTM1)) SG47(10 TAX!1 MOA2 GIS1) SG48(5 DOC!1 DTM2 LOC1))) ' +
  'UNS!1 CNT5 SG49(50 TAX!1 MOA2 GIS1) SG50(1 AUT!1 DTM1) UNT!1';

const CUSRES = (ftx: number, d99b: boolean): string =>
  `UNH!1 BGM!1 DTM9 FTX${ftx} TDT9 LOC99 GIS10 EQD999 SG1(9 NAD!1 SG2(9 CTA!1 COM9)) SG3(999 RFF!1 DTM9 LOC9) ` +
  'SG4(99 ERP!1 RFF9 ERC99 FTX99) SG5(99 TAX!1 MOA99 GIS99) ' +
  'SG6(9999 DOC!1 PAC9 RFF9 PCI9 FTX9 TDT9 LOC9 DTM9 GIS9 MEA99 EQD999 SG7(9 NAD!1 SG8(9 CTA!1 COM9)) SG9(99 MOA!1 CUX9) ' +
  (d99b
    ? 'SG10(99 TAX!1 MOA99 GIS99) SG11(9999 CST!1 FTX9 SG12(99 TAX!1 MOA99 GIS99 MEA9 RFF9)) SG13(9999 ERP!1 RFF9 ERC9999 FTX9)) CNT9 SG14(9 AUT!1 DTM9) UNT!1'
    : 'SG10(9999 CST!1 FTX9 SG11(99 TAX!1 MOA99 GIS99 MEA9 RFF9)) SG12(9999 ERP!1 RFF9 ERC99 FTX9)) CNT9 SG13(9 AUT!1 DTM9) UNT!1');

const CUSCAR = (d99b: boolean): string =>
  `UNH!1 BGM!1 DTM9 ${d99b ? 'LOC9 QTY9 ' : ''}SG1(99 RFF!1 DTM9) SG2(99 NAD!1 ${d99b ? 'DTM1 ' : ''}SG3(9 CTA!1 COM9)) FTX9 ` +
  `SG4(9 TDT!1 LOC99 DTM99) GIS9 SG5(9999 EQD!1 TSR9 MEA9 DIM9 SEL9 NAD9 GIS9 ${d99b ? 'LOC1 ' : ''}SG6(9 TMP!1 RNG1)) CNT9 ` +
  'SG7(9999 CNI!1 CNT9 SG8(9999 RFF!1 CNT9 MOA9 LOC99 GIS9 CUX9 CPI9 SG9(9 TDT!1 LOC9 DTM9 MEA9 SG10(9 RFF!1 TSR9)) ' +
  'SG11(99 NAD!1 DTM9 RFF9 SG12(9 CTA!1 COM9)) SG13(9 QTY!1 FTX9) ' +
  `SG14!(9999 GID!1 PAC9 HAN9 FTX99 MEA99 MOA9 SGP${d99b ? '9999' : '99'} DGS9 PCI9 CST1 ${d99b ? 'LOC9 TMD9 ' : ''}` +
  `SG15(9 GIS!1 DTM9 DOC9${d99b ? ' PAC9 MEA9' : ''}) SG16(9 QTY!1 FTX1)))) SG17(1 AUT!1 DTM9 RFF9) UNT!1`;

/** CONTRL (ISO 9735 service message), the same shape in syntax versions 3 and 4. */
const CONTRL =
  'UNH!1 UCI!1 SG1(999999 UCM!1 SG2(999 UCS!1 UCD99)) SG3(999999 UCF!1 SG4(999999 UCM!1 SG5(999 UCS!1 UCD99))) UNT!1';

const SOURCES: Readonly<Record<string, string>> = {
  'CUSDEC:D:96B': CUSDEC_HEADER + CUSDEC_SG10('', 5) + CUSDEC_ITEMS(9999),
  'CUSDEC:D:99B': CUSDEC_HEADER + CUSDEC_SG10('GIS99 LOC1 ', 15) + CUSDEC_ITEMS(99999),
  'CUSRES:D:96B': CUSRES(9, false),
  'CUSRES:D:99B': CUSRES(99, true),
  'CUSCAR:D:96B': CUSCAR(false),
  'CUSCAR:D:99B': CUSCAR(true),
  CONTRL,
};

/** Parses the compact notation into entries. */
function parseTable(source: string): GroupEntry {
  const tokens = source.match(/SG\d+!?\(\d+|[A-Z0-9]{3}!?\d+|\)/g) ?? [];
  let k = 0;
  const readChildren = (): Entry[] => {
    const out: Entry[] = [];
    while (k < tokens.length) {
      const t = tokens[k++]!;
      if (t === ')') return out;
      const g = /^(SG\d+)(!?)\((\d+)$/.exec(t);
      if (g) {
        const children = readChildren();
        const first = children[0];
        if (!first || first.kind !== 'segment') throw new Error(`table: group ${g[1]} must start with a segment`);
        out.push({
          kind: 'group',
          id: g[1]!,
          mandatory: g[2] === '!',
          max: Number(g[3]),
          children,
          trigger: first.tag,
          childTags: tagsOf(children),
        });
        continue;
      }
      const s = /^([A-Z0-9]{3})(!?)(\d+)$/.exec(t)!;
      // The tokenizer's own string for the tag: see internedTag.
      out.push({ kind: 'segment', tag: internedTag(s[1]!), mandatory: s[2] === '!', max: Number(s[3]) });
    }
    return out;
  };
  const children = readChildren();
  return {
    kind: 'group',
    id: 'message',
    mandatory: true,
    max: 1,
    children,
    trigger: 'UNH',
    childTags: tagsOf(children),
  };
}

function tagsOf(children: readonly Entry[]): string[] {
  return children.map((child) => (child.kind === 'segment' ? child.tag : child.trigger));
}

const tables = new Map<string, GroupEntry>();

/** Keys of the message structures this implementation knows: `TYPE:version:release`. */
export const SUPPORTED_MESSAGES: readonly string[] = Object.keys(SOURCES).map((k) => (k === 'CONTRL' ? 'CONTRL' : k));

/** The structure for a message, or undefined when its type/version/release is not supported. */
function tableFor(message: EdifactMessage): GroupEntry | undefined {
  const key = message.type === 'CONTRL' ? 'CONTRL' : `${message.type}:${message.version}:${message.release}`;
  let table = tables.get(key);
  if (!table) {
    const source = SOURCES[key];
    if (source === undefined) return undefined;
    table = parseTable(source);
    tables.set(key, table);
  }
  return table;
}

export function isSupported(message: EdifactMessage): boolean {
  return tableFor(message) !== undefined;
}

interface Frame {
  readonly entry: GroupEntry;
  readonly node: GroupNode;
  /** Index of the child last matched, and how often it matched in a row. */
  pos: number;
  count: number;
}

function where(seg: Segment, message: EdifactMessage, index: number) {
  return { segment: seg.tag, segmentNumber: seg.number, line: seg.line, positionInMessage: index + 1 };
}

/**
 * Reads the message's segments into its groups by the usual EDIFACT rule: a segment belongs to
 * the innermost open group that has it at or after the current position, else it closes that
 * group and is tried one level up. Throws EdifactSyntaxError naming the segment that does not fit.
 */
export function readStructure(message: EdifactMessage): GroupNode {
  const table = tableFor(message);
  const unh = message.segments[0]!;
  if (!table) {
    throw new EdifactSyntaxError(
      { segment: 'UNH', segmentNumber: unh.number, line: unh.line, element: 'S009' },
      `message ${message.type}:${message.version}:${message.release}:${message.agency} is not supported ` +
        `(supported: ${SUPPORTED_MESSAGES.join(', ')})`,
      E.notSupportedInPosition,
    );
  }
  const root: GroupNode = { id: 'message', segments: [], groups: [] };
  const stack: Frame[] = [{ entry: table, node: root, pos: -1, count: 0 }];
  const segs = message.segments;
  for (let index = 0; index < segs.length; index++) {
    const seg = segs[index]!;
    let exceeded: { what: string; max: number; group: boolean } | undefined;
    for (;;) {
      const frame = stack[stack.length - 1]!;
      const children = frame.entry.children;
      const childTags = frame.entry.childTags;
      const tag = seg.tag;
      let matched = false;
      for (let k = Math.max(frame.pos, 0); k < children.length; k++) {
        if (childTags[k] !== tag) continue;
        const child = children[k]!;
        if (k === frame.pos && frame.count >= child.max) {
          exceeded ??= {
            what: child.kind === 'segment' ? child.tag : child.id,
            max: child.max,
            group: child.kind === 'group',
          };
          continue;
        }
        checkSkipped(frame, k, seg, message, index);
        frame.count = k === frame.pos ? frame.count + 1 : 1;
        frame.pos = k;
        if (child.kind === 'segment') {
          frame.node.segments.push(seg);
        } else {
          const node: GroupNode = { id: child.id, segments: [seg], groups: [] };
          frame.node.groups.push(node);
          stack.push({ entry: child, node, pos: 0, count: 1 });
        }
        matched = true;
        break;
      }
      if (matched) break;
      if (stack.length === 1) {
        if (exceeded) {
          throw new EdifactSyntaxError(
            where(seg, message, index),
            `${exceeded.group ? `segment group ${exceeded.what}` : exceeded.what} occurs more than ${exceeded.max} time(s) in ` +
              `${message.type}:${message.version}:${message.release}`,
            exceeded.group ? E.tooManyGroupRepetitions : E.tooManyRepetitions,
          );
        }
        throw new EdifactSyntaxError(
          where(seg, message, index),
          `${seg.tag} is not expected here in ${message.type}:${message.version}:${message.release}`,
          E.notSupportedInPosition,
        );
      }
      checkSkipped(frame, children.length, seg, message, index);
      stack.pop();
    }
  }
  // UNT matched the message level last, so every group is closed; check what remains mandatory.
  const top = stack[0]!;
  const unt = segs[segs.length - 1]!;
  checkSkipped(top, top.entry.children.length, unt, message, segs.length - 1);
  return root;
}

/** Children between the current position and `upTo` that are mandatory but did not occur. */
function checkSkipped(frame: Frame, upTo: number, seg: Segment, message: EdifactMessage, index: number): void {
  const children = frame.entry.children;
  for (let j = Math.max(frame.pos, 0); j < upTo; j++) {
    const child = children[j]!;
    const seen = j === frame.pos ? frame.count : 0;
    if (child.mandatory && seen === 0) {
      const name = child.kind === 'segment' ? child.tag : `segment group ${child.id} (${child.trigger})`;
      throw new EdifactSyntaxError(
        where(seg, message, index),
        `mandatory ${name} is missing ${frame.entry.id === 'message' ? 'before' : `in ${frame.entry.id} before`} ${seg.tag}`,
        E.segmentMissing,
      );
    }
  }
}

/** The occurrences of group `id` directly inside `node`. */
export function groupsOf(node: GroupNode, id: string): GroupNode[] {
  const out: GroupNode[] = [];
  const groups = node.groups;
  for (let i = 0; i < groups.length; i++) if (groups[i]!.id === id) out.push(groups[i]!);
  return out;
}
