const h = require('./helpers/fake-wx.js');

let fake;
let subscribe;

beforeEach(() => {
  fake = h.install();
  fake.wx.setStorageSync('auth_tokens', { access: 'A', refresh: 'R' });
  subscribe = require('../utils/subscribe.js');
});

const TEMPLATES = [
  { event: 'refund_done', template_id: 't-refund' },
  { event: 'booked', template_id: 't-booked' },
  { event: 'record_ready', template_id: 't-record' },
  { event: 'visit_reminder', template_id: 't-visit' }
];

test('at most three templates, the most useful first', () => {
  expect(subscribe.chooseTemplates(TEMPLATES)).toEqual(['t-visit', 't-booked', 't-refund']);
  expect(subscribe.chooseTemplates([])).toEqual([]);
});

test('after prefetch, consent is asked at once, inside the tap', async () => {
  fake.reply('GET', '/api/v1/appointments/notifications/subscribe-templates/', [200, { templates: TEMPLATES }]);
  await subscribe.prefetch();
  const answer = subscribe.requestConsent();
  expect(fake.calls.requestSubscribeMessage).toHaveLength(1); // synchronously, no request first
  expect(await answer).toEqual({ asked: ['t-visit', 't-booked', 't-refund'], accepted: ['t-visit', 't-booked', 't-refund'] });
});

test('no template configured on the server: nothing is asked', async () => {
  fake.reply('GET', '/api/v1/appointments/notifications/subscribe-templates/', [200, { templates: [] }]);
  expect(await subscribe.requestConsent()).toEqual({ asked: [], accepted: [] });
  expect(fake.calls.requestSubscribeMessage).toBeUndefined();
});

test('a page puts its own event first', async () => {
  const templates = TEMPLATES.concat([{ event: 'release_queue_admitted', template_id: 't-turn' }]);
  expect(subscribe.chooseTemplates(templates, ['release_queue_admitted'])).toEqual(['t-turn', 't-visit', 't-booked']);
  fake.reply('GET', '/api/v1/appointments/notifications/subscribe-templates/', [200, { templates: templates }]);
  await subscribe.prefetch(['release_queue_admitted']);
  const answer = await subscribe.requestConsent(['release_queue_admitted']);
  expect(answer.asked).toEqual(['t-turn', 't-visit', 't-booked']);
});
