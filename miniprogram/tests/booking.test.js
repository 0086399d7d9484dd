// utils/booking.js 与确认预约页：直接约上（201）；抢号排队（202 挂号单）后轮询，直到约上、被拒，
// 或到时限仍在排队；轮询出错后照常再问；离开页面停止轮询。
const h = require('./helpers/fake-wx.js');

let fake;

const BOOK = '/api/v1/appointments/book/';
const TICKET = '/api/v1/appointments/tickets/5/';

const APPOINTMENT = {
  id: 77, order_no: 'A001', status: 'pending_payment', status_display: '待支付', queue_no: 3, fee: 5000,
  visit_starts_at: '2026-11-29T08:00:00+08:00', visit_ends_at: '2026-11-29T08:30:00+08:00', place: '门诊楼 3 层',
  hold_expires_at: '2026-11-27T09:15:00+08:00', hospital: { id: 1, name: '仁和医院' }, doctor: { id: 5, name: '李医生' },
  department: '心内科', profile: { id: 9, name: '张三' }, cancelled_by: '', cancel_reason: '', reminders_enabled: true,
  confirm_requested_at: null, confirm_deadline: null, confirmed_at: null, created_at: '2026-11-27T09:00:00+08:00'
};

function ticket(status, extra) {
  return Object.assign({ ticket: '5', status: status, poll: TICKET, appointment: null, error: null }, extra || {});
}

const QUEUED = ticket('queued');
const BOOKED = ticket('booked', { appointment: APPOINTMENT });
const REFUSED = ticket('refused', { error: { code: 'slot_full', message: 'This time slot is fully booked.' } });

// 服务器上的挂号单：测试改 server.answer（[状态码, 应答体]）；记下每次轮询的时刻（从下单起的毫秒）
let server;
function serve(bookAnswer) {
  server = { answer: [200, QUEUED], polls: [], started: Date.now() };
  fake.reply('POST', BOOK, bookAnswer);
  fake.reply('GET', TICKET, () => {
    server.polls.push(Date.now() - server.started);
    return server.answer;
  });
}

function bookRequests() {
  return fake.calls.request.filter((r) => r.url.indexOf(BOOK) >= 0);
}

const tick = (ms) => jest.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  fake = h.install();
  fake.wx.setStorageSync('auth_tokens', { access: 'A', refresh: 'R' });
  jest.useFakeTimers({ now: new Date('2026-11-27T08:00:00+08:00') });
});

afterEach(() => {
  jest.useRealTimers();
});

describe('utils/booking.js', () => {
  let booking;
  beforeEach(() => {
    booking = require('../utils/booking.js');
  });

  function start(seen) {
    return booking.book({
      slotId: 101, profileId: 9, idempotencyKey: 'key-1',
      onQueued: (t) => seen.queued.push(t.ticket),
      onWaiting: (s) => seen.waited.push(s)
    });
  }

  function settled(promise) {
    const out = { done: false };
    promise.then((value) => Object.assign(out, { done: true, value: value }), (err) => Object.assign(out, { done: true, err: err }));
    return out;
  }

  test('the poll waits 1 s five times, then 1.5 times longer each time, at most 5 s', () => {
    const delays = [];
    for (let n = 0; n < 10; n += 1) {
      delays.push(booking.pollDelay(n));
    }
    expect(delays).toEqual([1000, 1000, 1000, 1000, 1000, 1500, 2250, 3375, 5000, 5000]);
  });

  test('201: the appointment at once, nothing polled', async () => {
    serve([201, APPOINTMENT]);
    const seen = { queued: [], waited: [] };
    const out = settled(start(seen).promise);
    await tick(10);
    expect(out.value).toEqual({ status: 'booked', appointment: APPOINTMENT });
    expect(bookRequests()[0].data).toEqual({ slot_id: 101, profile_id: 9 });
    expect(bookRequests()[0].header['Idempotency-Key']).toBe('key-1');
    expect(seen.queued).toEqual([]);
    await tick(10000);
    expect(server.polls).toEqual([]);
  });

  test('202 then booked: polls every second until the appointment', async () => {
    serve([202, QUEUED]);
    const seen = { queued: [], waited: [] };
    const out = settled(start(seen).promise);
    await tick(10);
    expect(seen.queued).toEqual(['5']);
    await tick(2000);
    expect(out.done).toBe(false);
    server.answer = [200, BOOKED];
    await tick(1000);
    expect(out.value).toEqual({ status: 'booked', appointment: APPOINTMENT });
    expect(server.polls.map((ms) => Math.round(ms / 1000))).toEqual([1, 2, 3]);
    expect(seen.waited).toEqual([0, 1, 2, 3]);
    await tick(10000);
    expect(server.polls).toHaveLength(3); // stopped
    expect(seen.waited).toEqual([0, 1, 2, 3]);
  });

  test('202 then refused: the refusal in Chinese, as any API error', async () => {
    serve([202, QUEUED]);
    const out = settled(start({ queued: [], waited: [] }).promise);
    await tick(1010);
    server.answer = [200, REFUSED];
    await tick(1000);
    expect(out.err.isApiError).toBe(true);
    expect(out.err.code).toBe('slot_full');
    expect(out.err.status).toBe(409);
    expect(out.err.message).toBe('该时段已约满');
    expect(out.err.ticket).toBe('5');
    await tick(10000);
    expect(server.polls).toHaveLength(2);
  });

  test('still queued at the bound: timed out after the last poll at 60 s, then no more', async () => {
    serve([202, QUEUED]);
    const out = settled(start({ queued: [], waited: [] }).promise);
    await tick(59000);
    expect(out.done).toBe(false);
    await tick(1100);
    expect(out.value).toEqual({ status: 'queued', timedOut: true, ticket: '5' });
    const seconds = server.polls.map((ms) => Math.round(ms / 100) / 10);
    expect(seconds.slice(0, 9)).toEqual([1, 2, 3, 4, 5, 6.5, 8.8, 12.1, 17.1]);
    expect(seconds[seconds.length - 1]).toBe(60);
    const gaps = server.polls.slice(1).map((ms, i) => ms - server.polls[i]);
    expect(Math.max.apply(null, gaps)).toBeLessThanOrEqual(5000 + 10); // (a fake request takes a tick)
    await tick(30000);
    expect(server.polls).toHaveLength(seconds.length);
  });

  test('a poll error (server, network) is asked again; then booked', async () => {
    serve([202, QUEUED]);
    server.answer = h.error('server_busy', 503);
    const out = settled(start({ queued: [], waited: [] }).promise);
    await tick(1010);
    expect(server.polls).toHaveLength(1);
    fake.setOffline(true);
    await tick(1000);
    fake.setOffline(false);
    server.answer = [200, BOOKED];
    await tick(1000);
    expect(out.value).toEqual({ status: 'booked', appointment: APPOINTMENT });
    expect(server.polls).toHaveLength(2); // the offline poll never reached the server
  });

  test('a ticket that is not found stops the wait with its message', async () => {
    serve([202, QUEUED]);
    server.answer = h.error('ticket_not_found', 404);
    const out = settled(start({ queued: [], waited: [] }).promise);
    await tick(1010);
    expect(out.err.code).toBe('ticket_not_found');
    expect(out.err.message).toBe('挂号单不存在，请到“我的预约”查看');
  });

  test('a refusal of the booking itself is the API error, nothing polled', async () => {
    serve(h.error('daily_limit_reached', 409));
    const out = settled(start({ queued: [], waited: [] }).promise);
    await tick(10);
    expect(out.err.code).toBe('daily_limit_reached');
    expect(out.err.ticket).toBeUndefined();
    await tick(5000);
    expect(server.polls).toEqual([]);
  });

  test('cancel stops the polling', async () => {
    serve([202, QUEUED]);
    const b = start({ queued: [], waited: [] });
    const out = settled(b.promise);
    await tick(2010);
    b.cancel();
    await tick(10);
    expect(out.value).toEqual({ status: 'cancelled' });
    await tick(30000);
    expect(server.polls).toHaveLength(2);
  });
});

describe('the confirm page', () => {
  const SESSION = {
    id: 11, doctor_id: 5, hospital_id: 1, date: '2026-11-29', period: 'morning', period_display: '上午',
    start_time: '08:00', end_time: '12:00', fee: 5000, place: '门诊楼 3 层', clinic_type: 'expert',
    clinic_type_display: '专家门诊', room: null, remaining: 3,
    release_at: '2026-11-27T08:00:00+08:00', can_book_from: '2026-11-27T08:00:00+08:00', bookable_now: true,
    priority_seats_left: null,
    slots: [{ id: 101, starts_at: '2026-11-29T08:00:00+08:00', ends_at: '2026-11-29T08:30:00+08:00', capacity: 5, remaining: 3, queue_start: 1 }]
  };

  async function open(bookAnswer) {
    serve(bookAnswer);
    fake.reply('GET', '/api/v1/scheduling/sessions/11/', [200, SESSION]);
    fake.reply('GET', '/api/v1/accounts/profiles/', [200, { count: 1, next: null, previous: null, results: [{ id: 9, name: '张三', relation: 'self' }] }]);
    const comp = h.renderPage('pages/confirm/confirm');
    const loaded = comp.instance.onLoad({ session: '11', slot: '101' });
    await tick(10);
    await loaded;
    server.started = Date.now();
    return comp;
  }

  function text(comp) {
    return comp.dom.textContent;
  }

  test('201: straight to the pay page', async () => {
    const comp = await open([201, APPOINTMENT]);
    const submitted = comp.instance.onSubmit();
    await tick(10);
    await submitted;
    expect(fake.calls.redirectTo[0].url).toBe('/pages/pay/pay?appointment=77');
    expect(text(comp)).not.toContain('排队中');
  });

  test('202 then booked: the queued state with the waiting time, one submission only, then pay', async () => {
    const comp = await open([202, QUEUED]);
    const submitted = comp.instance.onSubmit();
    await tick(10);
    expect(text(comp)).toContain('排队中：已为您保留号源，正在确认…');
    expect(text(comp)).toContain('已等待 0 秒');
    expect(text(comp)).toContain('排队确认中…');
    await tick(2000);
    expect(text(comp)).toContain('已等待 2 秒');

    await comp.instance.onSubmit(); // a second tap while queued
    comp.instance.onProfile({ currentTarget: { dataset: { id: 8 } } });
    expect(bookRequests()).toHaveLength(1);
    expect(comp.data.profileId).toBe(9);

    server.answer = [200, BOOKED];
    await tick(1000);
    await submitted;
    expect(fake.calls.redirectTo[0].url).toBe('/pages/pay/pay?appointment=77');
  });

  test('202 then refused: the refusal in Chinese; booking again is a new request', async () => {
    const comp = await open([202, QUEUED]);
    const submitted = comp.instance.onSubmit();
    await tick(1010);
    server.answer = [200, REFUSED];
    await tick(1000);
    await submitted;
    expect(text(comp)).toContain('该时段已约满');
    expect(text(comp)).not.toContain('排队中');
    expect(comp.data.submitting).toBe(false);
    expect(fake.calls.redirectTo).toHaveLength(0);

    fake.reply('POST', BOOK, [201, APPOINTMENT]);
    const again = comp.instance.onSubmit();
    await tick(10);
    await again;
    const keys = bookRequests().map((r) => r.header['Idempotency-Key']);
    expect(keys).toHaveLength(2);
    expect(keys[1]).not.toBe(keys[0]); // the refused ticket's key would only replay it
    expect(fake.calls.redirectTo[0].url).toBe('/pages/pay/pay?appointment=77');
  });

  test('still queued at the bound: says so and offers my appointments; no second submission', async () => {
    const comp = await open([202, QUEUED]);
    const submitted = comp.instance.onSubmit();
    await tick(60100);
    await submitted;
    expect(text(comp)).not.toContain('排队中：');
    expect(text(comp)).toContain('仍在排队确认中');
    expect(text(comp)).toContain('“我的预约”');
    expect(comp.data.timedOut).toBe(true);
    await comp.instance.onSubmit();
    expect(bookRequests()).toHaveLength(1);

    comp.querySelector('.to-appointments').dispatchEvent('tap');
    await tick(10);
    expect(fake.calls.switchTab[0].url).toBe('/pages/appointments/appointments');
    const polls = server.polls.length;
    await tick(30000);
    expect(server.polls).toHaveLength(polls);
  });

  test('a poll error, then booked: goes on to pay', async () => {
    const comp = await open([202, QUEUED]);
    server.answer = h.error('server_error', 500);
    const submitted = comp.instance.onSubmit();
    await tick(1010);
    expect(text(comp)).toContain('排队中');
    expect(text(comp)).not.toContain('操作失败');
    server.answer = [200, BOOKED];
    await tick(1000);
    await submitted;
    expect(server.polls).toHaveLength(2);
    expect(fake.calls.redirectTo[0].url).toBe('/pages/pay/pay?appointment=77');
  });

  test('leaving the page stops the polling', async () => {
    const comp = await open([202, QUEUED]);
    comp.instance.onSubmit();
    await tick(1010);
    comp.instance.onUnload();
    await tick(30000);
    expect(server.polls).toHaveLength(1);
    expect(fake.calls.redirectTo).toHaveLength(0);
  });
});
