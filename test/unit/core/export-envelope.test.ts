import { describe, expect, it } from 'vitest';
import type { ExportDecision } from '../../../core/decide.js';
import {
  buildExportMessage,
  exportMessageSchema,
  parseExportMessageBody,
  readExportMessage,
  toSqsJson,
} from '../../../core/export-message.js';

function decision(documentJson: string): ExportDecision {
  return {
    destinationId: 'marketing',
    export: true,
    reasons: [{ code: 'mapped-attribute', message: 'mapped attribute written' }],
    document: JSON.parse(documentJson) as ExportDecision['document'],
    documentJson,
    documentBytes: Buffer.byteLength(documentJson, 'utf8'),
    profileVersion: 0,
  };
}
const source = (profileId: string) => ({
  sourceEventId: 'event-1',
  profileId,
  sourceTime: 1_000,
  queuedAt: 1_001,
});
const roundTrip = (body: string) => exportMessageSchema.parse(readExportMessage(body));

describe('the export message body (envelope version 3)', () => {
  const cases: [string, string, string][] = [
    ['a plain document', '{"person":{"name":{"lastName":"Doe"}},"identityMap":{}}', 'p-1'],
    [
      'numbers beyond 2^53, digit for digit',
      '{"loyalty":{"points":12345678901234567890123,"ratio":0.1000000000000000055511151231257827}}',
      'p-2',
    ],
    [
      'U+FFFE and U+FFFF, which SQS refuses in a body',
      '{"note":"a\uFFFEb\uFFFFc","escaped":"\\\\ufffe is text"}',
      'p-3',
    ],
    [
      'a document with a "document" member of its own',
      '{"document":{"document":",\\"document\\":"},"x":1}',
      'p-4',
    ],
    ['a profile id that quotes the member', '{"a":1}', 'p-5,"document":{}'],
  ];
  for (const [what, documentJson, profileId] of cases) {
    it(`carries the document's exact text: ${what}`, () => {
      const { body, message } = buildExportMessage(decision(documentJson), source(profileId));

      expect(message.v).toBe(3);
      expect(body).not.toMatch(/[\uFFFE\uFFFF]/);
      // Plain JSON: the console and jq show the document as an object.
      expect(typeof (JSON.parse(body) as { document: unknown }).document).toBe('object');
      const read = roundTrip(body);
      expect(read).toEqual(message);
      expect(read.documentJson).toBe(documentJson);
    });
  }

  it('is the envelope and the document text, without escaping the document into a string', () => {
    const documentJson = JSON.stringify({
      person: { name: { firstName: 'Jane', lastName: 'Doe' } },
      tags: ['a', 'b', 'c'],
    });
    const { body, message } = buildExportMessage(decision(documentJson), source('p-1'));
    const { documentJson: _text, ...envelope } = message;
    const asVersion2 = toSqsJson({ ...envelope, v: 2, documentJson });

    expect(body.length).toBe(toSqsJson(envelope).length + ',"document":'.length + documentJson.length);
    expect(body.length).toBeLessThan(asVersion2.length);
  });

  it('refuses a body of an older envelope version, naming the version field', () => {
    const envelope = {
      exportId: 'e1',
      destinationId: 'marketing',
      profileId: 'p-1',
      profileVersion: 0,
      reasons: ['mapped-attribute'],
      sourceEventId: 'event-1',
      sourceTime: 1,
      queuedAt: 2,
    };

    expect(parseExportMessageBody(JSON.stringify({ v: 1, ...envelope, document: { a: 1 } }))).toEqual({
      ok: false,
      problem: 'the message is not an export message of version 3 (invalid: v, documentJson)',
    });
    expect(parseExportMessageBody(JSON.stringify({ v: 2, ...envelope, documentJson: '{"a":1}' }))).toEqual({
      ok: false,
      problem: 'the message is not an export message of version 3 (invalid: v)',
    });
    expect(parseExportMessageBody('not json')).toEqual({
      ok: false,
      problem: 'the message body is not JSON',
    });
  });

  it('reads a body the production builder wrote', () => {
    const { body, message } = buildExportMessage(decision('{"a":1}'), source('p-1'));

    expect(parseExportMessageBody(body)).toEqual({ ok: true, message });
  });
});
