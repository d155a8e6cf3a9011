import { PII_ENTITIES, type PiiEntity } from '../../../lib/design/guardrails';
import { LocalFilter } from '../../../lib/router/guard/local-filter';
import { ibanValid, luhnValid } from '../../../lib/router/guard/local/checksums';

const ALL_LOCAL: PiiEntity[] = ['EMAIL', 'PHONE', 'CREDIT_DEBIT_CARD_NUMBER', 'US_SOCIAL_SECURITY_NUMBER', 'IP_ADDRESS', 'IBAN', 'PASSPORT_NUMBER'];

function filter(options: { words?: string[]; action?: 'mask' | 'block'; entities?: PiiEntity[] } = {}): LocalFilter {
  return new LocalFilter({ blockedWords: options.words ?? [], pii: { action: options.action ?? 'mask', entities: options.entities ?? ALL_LOCAL } });
}

/** The text after masking (the input itself when nothing was masked). */
function masked(text: string, options?: Parameters<typeof filter>[0]): string {
  const v = filter(options).check([text]);
  if (v.action === 'block') throw new Error('blocked');
  return v.action === 'mask' ? v.texts![0] : text;
}

describe('checksums', () => {
  test.each(['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117', '79927398713'])('Luhn accepts %s', (n) => expect(luhnValid(n)).toBe(true));
  test.each(['4111111111111112', '1234567812345678', '79927398710', ''])('Luhn refuses %s', (n) => expect(luhnValid(n)).toBe(false));
  test.each(['GB82WEST12345698765432', 'DE89370400440532013000', 'FR1420041010050500013M02606', 'gb82west12345698765432', 'NO9386011117947'])('mod-97 accepts %s', (n) => expect(ibanValid(n)).toBe(true));
  test.each([
    ['a wrong check digit', 'GB82WEST12345698765433'],
    ['a swapped pair', 'GB82WEST12345698765423'],
    ['a length other than the country\'s', 'GB82WEST1234569876543'],
    ['an unknown country', 'ZZ82WEST12345698765432'],
  ])('mod-97 refuses %s', (_what, n) => expect(ibanValid(n)).toBe(false));
});

describe('PII masks', () => {
  test.each([
    ['an email', 'write to jane.doe+news@mail.example.co.uk today', 'write to {EMAIL} today'],
    ['an email ending a sentence', 'Mail me: a_b@example.com.', 'Mail me: {EMAIL}.'],
    ['an E.164 phone', 'call +44 20 7946 0958 now', 'call {PHONE} now'],
    ['a phone with a (0) trunk prefix', 'call +44 (0)20 7946 0958', 'call {PHONE}'],
    ['a North American phone with parentheses', 'office (415) 555-2671, ext 2', 'office {PHONE}, ext 2'],
    ['a North American phone with dots', 'cell 415.555.2671', 'cell {PHONE}'],
    ['a North American phone with 1-', 'toll 1-800-555-2671', 'toll {PHONE}'],
    ['a Visa number in groups', 'card 4111 1111 1111 1111 exp 12/29', 'card {CREDIT_DEBIT_CARD_NUMBER} exp 12/29'],
    ['a Mastercard number with dashes', 'card 5555-5555-5555-4444.', 'card {CREDIT_DEBIT_CARD_NUMBER}.'],
    ['an Amex number', 'amex 378282246310005', 'amex {CREDIT_DEBIT_CARD_NUMBER}'],
    ['an SSN with dashes', 'ssn 123-45-6789', 'ssn {US_SOCIAL_SECURITY_NUMBER}'],
    ['an SSN with spaces', 'ssn 123 45 6789!', 'ssn {US_SOCIAL_SECURITY_NUMBER}!'],
    ['an IPv4 address', 'host 192.168.10.254, port 22', 'host {IP_ADDRESS}, port 22'],
    ['an IPv6 address', 'host 2001:db8::8a2e:370:7334 is up', 'host {IP_ADDRESS} is up'],
    ['the IPv6 loopback', 'bind ::1 only', 'bind {IP_ADDRESS} only'],
    ['an IPv6 address with an IPv4 tail', 'peer ::ffff:192.0.2.128.', 'peer {IP_ADDRESS}.'],
    ['a printed IBAN', 'IBAN GB82 WEST 1234 5698 7654 32 please', 'IBAN {IBAN} please'],
    ['a compact IBAN', 'to DE89370400440532013000', 'to {IBAN}'],
    ['a passport number after the word', 'Passport No: X12345678', 'Passport No: {PASSPORT_NUMBER}'],
    ['a US passport number', 'passport #: 963545637', 'passport #: {PASSPORT_NUMBER}'],
    ['two entities', 'a@b.io or 123-45-6789', '{EMAIL} or {US_SOCIAL_SECURITY_NUMBER}'],
  ])('masks %s', (_what, text, expected) => expect(masked(text)).toBe(expected));

  test.each([
    ['a card number failing Luhn', 'order 4111 1111 1111 1112'],
    ['a card number with mixed separators', 'card 4111 1111-1111 1111'],
    ['a card number inside a longer number', 'ref 41111111111111110'],
    ['a 16-digit id starting with 1', 'id 1234567812345670'],
    ['an SSN with area 000', 'ssn 000-12-3456'],
    ['an SSN with area 666', 'ssn 666-12-3456'],
    ['an SSN with area 9xx', 'ssn 912-12-3456'],
    ['an SSN with group 00', 'ssn 123-00-3456'],
    ['an SSN with serial 0000', 'ssn 123-45-0000'],
    ['nine bare digits', 'ssn 123456789'],
    ['an SSN followed by more digits', 'code 123-45-6789-1'],
    ['an octet over 255', 'v 256.1.1.1'],
    ['five dotted numbers', 'version 1.2.3.4.5'],
    ['an octet with a leading zero', 'v 10.01.1.1'],
    ['a C++ scope', 'use std::vector here'],
    ['a time', 'at 12:30:45 sharp'],
    ['a MAC address', 'mac aa:bb:cc:dd:ee:ff'],
    ['an IBAN with a wrong check digit', 'IBAN GB82 WEST 1234 5698 7654 33'],
    ['an IBAN glued to a word', 'xGB82WEST12345698765432'],
    ['a code without the word passport', 'ticket X12345678'],
    ['a passport "number" without digits', 'passport: ABCDEFGH'],
    ['the word passport and no number', 'my passport number is lost'],
    ['a bare phone-length number', 'order 4155552671'],
    ['a phone with area code 1xx', 'call 155-555-2671'],
    ['an at sign without a domain', 'meet @noon or a@b'],
    ['an email with a 65-character local part', `${'a'.repeat(65)}@example.com`],
  ])('leaves %s alone', (_what, text) => expect(masked(text)).toBe(text));

  test('masks only the configured entities', () => {
    const text = 'jane@example.com 123-45-6789 192.0.2.1';
    expect(masked(text, { entities: ['EMAIL'] })).toBe('{EMAIL} 123-45-6789 192.0.2.1');
    expect(masked(text, { entities: ['US_SOCIAL_SECURITY_NUMBER', 'IP_ADDRESS'] })).toBe('jane@example.com {US_SOCIAL_SECURITY_NUMBER} {IP_ADDRESS}');
    expect(masked(text, { entities: [] })).toBe(text);
  });

  test('NAME and ADDRESS are left to the cloud guard', () => {
    const v = filter({ entities: ['NAME', 'ADDRESS'] }).check(['Jane Doe, 221B Baker Street, London']);
    expect(v).toEqual({ action: 'allow', policies: [], costNanoUsd: 0, work: expect.any(Number) });
  });

  test('a mask verdict names pii and masks each text in order, and costs nothing', () => {
    const v = filter().check(['no pii here', 'mail a@b.io', 'ip 10.0.0.1']);
    expect(v).toEqual({ action: 'mask', policies: ['pii'], texts: ['no pii here', 'mail {EMAIL}', 'ip {IP_ADDRESS}'], costNanoUsd: 0, work: expect.any(Number) });
  });

  test('pii.action block refuses instead of masking', () => {
    expect(filter({ action: 'block' }).check(['fine', 'mail a@b.io'])).toMatchObject({ action: 'block', policies: ['pii'], costNanoUsd: 0 });
    expect(filter({ action: 'block' }).check(['fine'])).toMatchObject({ action: 'allow' });
  });
});

describe('blocked words', () => {
  const words = ['forbidden', 'secret sauce', 'Straße', '坏词', 'rm -rf'];
  const blocked = (text: string) => filter({ words }).check([text]).action === 'block';

  test.each([
    ['the word itself', 'this is forbidden.'],
    ['any case', 'FoRbIdDeN'],
    ['a phrase across extra whitespace', 'the secret \n\t  sauce'],
    ['a phrase across punctuation', 'secret-sauce!'],
    ['a zero-width space inside the word', 'forbid\u200Bden'],
    ['a soft hyphen inside the word', 'forbid\u00ADden'],
    ['full-width letters', 'ｆｏｒｂｉｄｄｅｎ'],
    ['a non-ASCII word in another case', 'STRASSE? no: STRAßE'],
    ['a phrase of an unspaced script inside a sentence', '这是一个坏词的例子'],
    ['a phrase whose words are letters around symbols', 'run rm   rf now'],
  ])('blocks %s', (_what, text) => expect(blocked(text)).toBe(true));

  test.each([
    ['a longer word holding the word', 'forbiddenly'],
    ['a word holding the word', 'unforbidden'],
    ['half a phrase', 'the secret is out'],
    ['the phrase\'s words apart', 'secret and sauce'],
    ['the unspaced phrase broken up', '坏的词'],
  ])('lets %s through', (_what, text) => expect(blocked(text)).toBe(false));

  test('a blocked word blocks as blocked_words, before any masking, in any text', () => {
    expect(filter({ words }).check(['mail a@b.io', 'so forbidden'])).toEqual({ action: 'block', policies: ['blocked_words'], costNanoUsd: 0, work: expect.any(Number) });
  });
});

describe('linear time on adversarial input (128 KiB)', () => {
  // The bound is on counted work, not time, so the size needs only to dwarf BOUND: a scan that went
  // back over the text would count ~n²/2 (8·10⁹ here) against 80·n (10⁷). 1 MiB cost 12 s of CPU.
  const SIZE = 128 << 10;
  const fill = (unit: string) => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);
  // Each scanner looks at a bounded stretch from each place a value can start (~40 characters
  // at most), and the word trie follows at most one edge per word of the longest phrase.
  const BOUND = 80;
  const longPhrase = Array.from({ length: 40 }, () => 'a').join(' ') + ' b';

  test.each([
    ['letters', fill('a')],
    ['digits', fill('1')],
    ['digits and spaces', fill('4 ')],
    ['digit groups that almost make a card', fill('4111 ')],
    ['at signs between local parts', fill('a@')],
    ['at signs and dots', fill('a.@')],
    ['a local part before one at sign', `${fill('a')}@`],
    ['dotted labels after one at sign', `x@${fill('a.')}`],
    ['colons', fill(':')],
    ['hex and colons', fill('f:')],
    ['plus signs and digits', fill('+1 ')],
    ['open parentheses and digits', fill('+1 (1')],
    ['dotted digits', fill('1.')],
    ['dashed digits', fill('1-')],
    ['the word passport', fill('passport ')],
    ['passport and filler words', fill('passport no no no ')],
    ['country codes', fill('GB82 ')],
    ['one-letter words against a 41-word phrase', fill('a ')],
    ['zero-width spaces', fill('\u200B')],
    ['han characters', fill('坏')],
  ])('%s', (_what, text) => {
    const v = filter({ words: ['forbidden', longPhrase, '坏词'] }).check([text]);
    expect(v.work).toBeLessThanOrEqual(BOUND * text.length);
    expect(v.work).toBeGreaterThanOrEqual(text.length); // every character was looked at
  });
});

test('every design entity is known to the filter or documented as the cloud guard\'s', () => {
  expect([...ALL_LOCAL, 'NAME', 'ADDRESS'].sort()).toEqual([...PII_ENTITIES].sort());
});
