// 改约：费用变化、去向，以及预约详情 → 医生（改约模式）→ 时段 → 确认改约 → 支付 / 成功
const h = require('./helpers/fake-wx.js');

let fake;

beforeEach(() => {
  fake = h.install();
  fake.wx.setStorageSync('auth_tokens', { access: 'A', refresh: 'R' });
});

const APPOINTMENT = {
  id: 77, order_no: 'A001', status: 'booked', status_display: '已预约', queue_no: 3, fee: 5000,
  visit_starts_at: '2026-11-29T08:00:00+08:00', visit_ends_at: '2026-11-29T08:30:00+08:00', place: '门诊楼 3 层',
  hold_expires_at: null, hospital: { id: 1, name: '仁和医院' }, doctor: { id: 5, name: '李医生' }, department: '心内科',
  profile: { id: 9, name: '张三' }, cancelled_by: '', cancel_reason: '', reminders_enabled: true,
  confirm_requested_at: null, confirm_deadline: null, confirmed_at: null, created_at: '2026-11-27T09:00:00+08:00'
};
function session(fee) {
  return {
    id: 12, doctor_id: 5, hospital_id: 1, date: '2026-11-30', period: 'afternoon', period_display: '下午',
    start_time: '14:00', end_time: '17:00', fee: fee, place: '门诊楼 4 层', clinic_type: 'expert', clinic_type_display: '专家门诊',
    room: null, remaining: 2, release_at: '2026-11-27T08:00:00+08:00', can_book_from: '2026-11-27T08:00:00+08:00', bookable_now: true,
    slots: [
      { id: 201, starts_at: '2026-11-30T14:00:00+08:00', ends_at: '2026-11-30T14:30:00+08:00', capacity: 5, remaining: 2, queue_start: 1 }
    ]
  };
}

describe('the rules the pages show', () => {
  let r;
  beforeEach(() => {
    r = require('../utils/reschedule.js');
  });

  test('fee change of a paid booking: refund, top-up or nothing', () => {
    expect(r.feeChange(APPOINTMENT, 3000)).toMatchObject({ kind: 'refund', amount: 2000 });
    expect(r.feeChange(APPOINTMENT, 3000).text).toContain('退还差价 ¥20.00');
    expect(r.feeChange(APPOINTMENT, 8000)).toMatchObject({ kind: 'topup', amount: 3000 });
    expect(r.feeChange(APPOINTMENT, 8000).text).toContain('补缴差价 ¥30.00');
    expect(r.feeChange(APPOINTMENT, 5000)).toMatchObject({ kind: 'same', amount: 0 });
    expect(r.feeChange(Object.assign({}, APPOINTMENT, { fee: 0 }), 2000)).toMatchObject({ kind: 'topup', amount: 2000 });
  });

  test('fee change of an unpaid hold: the amount due changes', () => {
    const hold = Object.assign({}, APPOINTMENT, { status: 'pending_payment' });
    expect(r.feeChange(hold, 8000)).toMatchObject({ kind: 'due', amount: 8000 });
    expect(r.feeChange(hold, 8000).text).toContain('由 ¥50.00 改为 ¥80.00');
    expect(r.feeChange(hold, 0)).toMatchObject({ kind: 'free' });
    expect(r.feeChange(hold, 5000)).toMatchObject({ kind: 'same' });
  });

  test('who may start it, and where the answer leads', () => {
    expect(r.canReschedule(APPOINTMENT)).toBe(true);
    expect(r.canReschedule(Object.assign({}, APPOINTMENT, { status: 'pending_payment' }))).toBe(true);
    ['cancelled', 'completed', 'checked_in', 'no_show'].forEach((status) => {
      expect(r.canReschedule(Object.assign({}, APPOINTMENT, { status: status }))).toBe(false);
    });
    expect(r.startUrl(APPOINTMENT)).toBe('/pages/doctor/doctor?id=5&reschedule=77');
    const pending = Object.assign({}, APPOINTMENT, { status: 'pending_payment' });
    expect(r.nextUrl(APPOINTMENT, pending)).toBe('/pages/pay/pay?appointment=77&topup=1');
    expect(r.nextUrl(pending, pending)).toBe('/pages/pay/pay?appointment=77');
    expect(r.nextUrl(APPOINTMENT, APPOINTMENT)).toBe('/pages/appointment/detail?id=77');
  });
});

describe('the flow', () => {
  test('detail: 改约 only for a booking that may move; it opens the doctor in reschedule mode', async () => {
    fake.reply('GET', '/api/v1/appointments/77/', [200, APPOINTMENT]);
    fake.reply('GET', '/api/v1/appointments/77/check-in-code/', [200, { code: 'c', expires_at: '2026-11-29T18:00:00+08:00' }]);
    const comp = h.renderPage('pages/appointment/detail');
    await comp.instance.onLoad({ id: '77' });
    comp.querySelector('.reschedule').dispatchEvent('tap');
    await h.flush();
    expect(fake.calls.navigateTo[0].url).toBe('/pages/doctor/doctor?id=5&reschedule=77');

    fake.reply('GET', '/api/v1/appointments/77/', [200, Object.assign({}, APPOINTMENT, { status: 'cancelled', status_display: '已取消' })]);
    await comp.instance.onShow(); // 回到详情页时重新读取
    await h.flush();
    expect(comp.dom.textContent).toContain('已取消');
    expect(comp.querySelector('.reschedule')).toBeFalsy();
  });

  test('my appointments: 改约 on a booked row', async () => {
    fake.reply('GET', '/api/v1/appointments/', [200, { count: 2, next: null, previous: null, results: [
      APPOINTMENT, Object.assign({}, APPOINTMENT, { id: 78, status: 'completed', status_display: '已完成' })
    ] }]);
    const comp = h.renderPage('pages/appointments/appointments');
    await comp.instance.onLoad({});
    expect(comp.querySelectorAll('.reschedule')).toHaveLength(1);
    comp.querySelector('.reschedule').dispatchEvent('tap');
    await h.flush();
    expect(fake.calls.navigateTo[0].url).toBe('/pages/doctor/doctor?id=5&reschedule=77');
  });

  test('doctor and slot in reschedule mode lead to the reschedule confirmation; no waitlist', async () => {
    const full = Object.assign({}, session(5000), { id: 13, remaining: 0 });
    fake.reply('GET', '/api/v1/hospitals/doctors/5/', [200, { id: 5, name: '李医生', title_display: '', specialty: '', introduction: '', hospital_name: '', department_name: '' }]);
    fake.reply('GET', '/api/v1/scheduling/doctors/5/sessions/', [200, { doctor_id: 5, sessions: [session(5000), full] }]);
    const doctor = h.renderPage('pages/doctor/doctor');
    await doctor.instance.onLoad({ id: '5', reschedule: '77' });
    expect(doctor.dom.textContent).toContain('改约：请选择新的出诊和时段');
    expect(doctor.querySelector('.waitlist')).toBeFalsy();
    expect(doctor.dom.textContent).toContain('已约满');
    doctor.querySelector('.book').dispatchEvent('tap');
    await h.flush();
    expect(fake.calls.navigateTo[0].url).toBe('/pages/slot/slot?session=12&reschedule=77');
    doctor.instance.onUnload();
  });

  test('slot page in reschedule mode', async () => {
    fake.reply('GET', '/api/v1/scheduling/sessions/12/', [200, session(5000)]);
    const slot = h.renderPage('pages/slot/slot');
    await slot.instance.onLoad({ session: '12', reschedule: '77' });
    slot.querySelector('.choose').dispatchEvent('tap');
    await h.flush();
    expect(fake.calls.navigateTo[0].url).toBe('/pages/reschedule/reschedule?appointment=77&session=12&slot=201');
  });

  test('confirm a dearer slot: old and new time, the top-up, then the pay page for it', async () => {
    fake.reply('GET', '/api/v1/appointments/77/', [200, APPOINTMENT]);
    fake.reply('GET', '/api/v1/scheduling/sessions/12/', [200, session(8000)]);
    fake.reply('POST', '/api/v1/appointments/77/reschedule/', h.error('reschedule_deadline_passed', 409));
    const comp = h.renderPage('pages/reschedule/reschedule');
    await comp.instance.onLoad({ appointment: '77', session: '12', slot: '201' });
    const text = comp.dom.textContent;
    expect(text).toContain('2026-11-29 08:00');
    expect(text).toContain('2026-11-30 下午 14:00-14:30');
    expect(text).toContain('需补缴差价 ¥30.00');

    await comp.instance.onSubmit();
    expect(comp.dom.textContent).toContain('已过改约截止时间，无法改约');
    expect(fake.calls.redirectTo).toHaveLength(0);

    fake.reply('POST', '/api/v1/appointments/77/reschedule/', [200, Object.assign({}, APPOINTMENT, {
      status: 'pending_payment', fee: 8000, hold_expires_at: '2026-11-28T10:15:00+08:00'
    })]);
    await comp.instance.onSubmit();
    const posts = fake.calls.request.filter((r) => r.method === 'POST');
    expect(posts[1].data).toEqual({ slot_id: 201 });
    expect(fake.calls.redirectTo[0].url).toBe('/pages/pay/pay?appointment=77&topup=1');
    expect(fake.calls.showToast).toHaveLength(0);
  });

  test('confirm a cheaper slot: the refund is said, then success', async () => {
    fake.reply('GET', '/api/v1/appointments/77/', [200, APPOINTMENT]);
    fake.reply('GET', '/api/v1/scheduling/sessions/12/', [200, session(3000)]);
    fake.reply('POST', '/api/v1/appointments/77/reschedule/', [200, Object.assign({}, APPOINTMENT, { fee: 3000 })]);
    const comp = h.renderPage('pages/reschedule/reschedule');
    await comp.instance.onLoad({ appointment: '77', session: '12', slot: '201' });
    expect(comp.dom.textContent).toContain('将退还差价 ¥20.00');
    expect(comp.querySelector('.fee-refund')).toBeTruthy();
    await comp.instance.onSubmit();
    expect(fake.calls.showToast[0].title).toBe('改约成功');
    expect(fake.calls.redirectTo[0].url).toBe('/pages/appointment/detail?id=77');
  });

  test('a booking that can no longer move (or a slot not in the session) has no confirm button', async () => {
    fake.reply('GET', '/api/v1/appointments/77/', [200, Object.assign({}, APPOINTMENT, { status: 'cancelled' })]);
    fake.reply('GET', '/api/v1/scheduling/sessions/12/', [200, session(5000)]);
    const comp = h.renderPage('pages/reschedule/reschedule');
    await comp.instance.onLoad({ appointment: '77', session: '12', slot: '201' });
    expect(comp.dom.textContent).toContain('该预约不能改到这个时段');
    expect(comp.querySelector('.submit')).toBeFalsy();

    fake.reply('GET', '/api/v1/appointments/77/', [200, APPOINTMENT]);
    await comp.instance.onLoad({ appointment: '77', session: '12', slot: '999' });
    expect(comp.dom.textContent).toContain('该预约不能改到这个时段');
    expect(comp.querySelector('.submit')).toBeFalsy();
    await comp.instance.onLoad({ appointment: '77', session: '12', slot: '201' });
    expect(comp.querySelector('.submit')).toBeTruthy();
  });

  test('the pay page of a top-up says it is the difference', async () => {
    fake.reply('GET', '/api/v1/appointments/77/', [200, Object.assign({}, APPOINTMENT, { status: 'pending_payment', fee: 8000, hold_expires_at: '2026-11-28T10:15:00+08:00' })]);
    fake.reply('GET', '/api/v1/billing/channels/', [200, { channels: ['wechat'] }]);
    const comp = h.renderPage('pages/pay/pay');
    await comp.instance.onLoad({ appointment: '77', topup: '1' });
    expect(comp.dom.textContent).toContain('改约补缴差价');
    expect(comp.dom.textContent).toContain('新挂号费 ¥80.00');
    expect(comp.dom.textContent).toContain('2026-11-28 10:15 前完成支付');
  });
});
