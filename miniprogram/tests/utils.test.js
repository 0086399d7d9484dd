const fs = require('fs');
const path = require('path');
const errors = require('../utils/errors.js');
const format = require('../utils/format.js');
const table = require('../utils/error-messages.json');

test('every message of the map is Chinese text', () => {
  const codes = Object.keys(table.messages);
  expect(codes.length).toBeGreaterThan(100);
  codes.forEach((code) => {
    expect(code).toMatch(/^[a-z0-9_]+$/);
    expect(table.messages[code]).toMatch(/[\u4e00-\u9fff]/);
  });
});

test('messageFor: known, unknown and network codes', () => {
  expect(errors.messageFor('sms_code_invalid')).toBe('验证码错误');
  expect(errors.messageFor('nope')).toBe(table._fallback);
  expect(errors.messageFor(undefined)).toBe(table._fallback);
  expect(errors.messageFor('network_error')).toBe(table._network);
  expect(errors.messageFor('constructor')).toBe(table._fallback); // not an inherited property
});

test('firstFieldError walks nested field errors', () => {
  expect(errors.firstFieldError({ a: [], b: { c: ['内层错误'] } })).toBe('内层错误');
  expect(errors.firstFieldError({ non_field_errors: ['整体错误'] })).toBe('整体错误');
  expect(errors.firstFieldError(null)).toBe('');
});

test('errorText of a programming error is the fallback, not its English message', () => {
  expect(errors.errorText(new TypeError('x is undefined'))).toBe(table._fallback);
});

test('countdown', () => {
  const now = new Date('2026-11-27T07:59:58+08:00').getTime();
  expect(format.countdown('2026-11-27T08:00:00+08:00', now)).toBe('00:00:02');
  expect(format.countdown('2026-11-29T09:01:02+08:00', now)).toBe('2天 01:01:04');
  expect(format.countdown('2026-11-27T07:59:58+08:00', now)).toBe('');
  expect(format.countdown('2026-11-27T07:00:00+08:00', now)).toBe('');
});

test('money and dates', () => {
  expect(format.yuan(2050)).toBe('¥20.50');
  expect(format.yuan(0)).toBe('¥0.00');
  expect(format.yuan(null)).toBe('');
  expect(format.dateTime('2026-11-27T08:30:00+08:00')).toBe('2026-11-27 08:30');
  expect(format.weekday('2026-11-27')).toBe('周五');
  expect(format.weekday('2027-02-28')).toBe('周日');
});

test('the vendored QR library is the npm package file pinned in package-lock.json', () => {
  const vendored = fs.readFileSync(path.join(__dirname, '..', 'vendor', 'qrcode-generator.js'), 'utf8');
  const packaged = fs.readFileSync(require.resolve('qrcode-generator/qrcode.js'), 'utf8');
  expect(vendored).toBe(packaged);
  const lock = require('../package-lock.json');
  expect(lock.packages['node_modules/qrcode-generator'].version).toBe('1.4.4');
});
