const h = require('./helpers/fake-wx.js');

let fake;

beforeEach(() => {
  fake = h.install();
  fake.wx.setStorageSync('auth_tokens', { access: 'A', refresh: 'R' });
});

afterEach(() => {
  jest.useRealTimers();
});

function page(results) {
  return [200, { count: results.length, next: null, previous: null, results: results }];
}

const SESSION = {
  id: 11, doctor_id: 5, hospital_id: 1, date: '2026-11-29', period: 'morning', period_display: '上午',
  start_time: '08:00', end_time: '12:00', fee: 5000, place: '门诊楼 3 层', clinic_type: 'expert',
  clinic_type_display: '专家门诊', room: null, remaining: 3,
  release_at: '2026-11-27T08:00:00+08:00', can_book_from: '2026-11-27T08:00:00+08:00', bookable_now: true,
  priority_seats_left: null,
  slots: [
    { id: 101, starts_at: '2026-11-29T08:00:00+08:00', ends_at: '2026-11-29T08:30:00+08:00', capacity: 5, remaining: 3, queue_start: 1 },
    { id: 102, starts_at: '2026-11-29T08:30:00+08:00', ends_at: '2026-11-29T09:00:00+08:00', capacity: 5, remaining: 0, queue_start: 6 }
  ]
};
const DOCTOR = { id: 5, name: '李医生', title_display: '主任医师', specialty: '心律失常', introduction: '', hospital_name: '仁和医院', department_name: '心内科', fee: 5000 };
const APPOINTMENT = {
  id: 77, order_no: 'A001', status: 'booked', status_display: '已预约', queue_no: 3, fee: 5000,
  visit_starts_at: '2026-11-29T08:00:00+08:00', visit_ends_at: '2026-11-29T08:30:00+08:00', place: '门诊楼 3 层',
  hold_expires_at: null, hospital: { id: 1, name: '仁和医院' }, doctor: { id: 5, name: '李医生' }, department: '心内科',
  profile: { id: 9, name: '张三' }, cancelled_by: '', cancel_reason: '', reminders_enabled: true,
  confirm_requested_at: null, confirm_deadline: null, confirmed_at: null, created_at: '2026-11-27T09:00:00+08:00'
};

describe('home', () => {
  test('loading, then the hospitals', async () => {
    fake.reply('GET', '/api/v1/hospitals/', page([{ id: 1, name: '仁和医院', level_display: '三级甲等', region: '北京', address: '东城区' }]));
    const comp = h.renderPage('pages/index/index');
    const loading = comp.instance.onLoad({});
    expect(comp.dom.textContent).toContain('加载中');
    await loading;
    expect(comp.dom.textContent).toContain('仁和医院');
    comp.querySelector('.hospital').dispatchEvent('tap');
    await h.flush();
    expect(fake.calls.navigateTo[0].url).toBe('/pages/hospital/hospital?id=1');
  });

  test('the next page is loaded at the bottom of the list', async () => {
    fake.reply('GET', '/api/v1/hospitals/', (req) => {
      const n = Number(req.url.searchParams.get('page'));
      return [200, { count: 2, next: n === 1 ? 'http://x/?page=2' : null, previous: null, results: [{ id: n, name: '医院' + n, level_display: '', region: '', address: '' }] }];
    });
    const comp = h.renderPage('pages/index/index');
    await comp.instance.onLoad({});
    expect(comp.querySelectorAll('.hospital')).toHaveLength(1);
    await comp.instance.onReachBottom();
    expect(comp.querySelectorAll('.hospital')).toHaveLength(2);
    expect(comp.dom.textContent).toContain('没有更多了');
    expect(await comp.instance.onReachBottom()).toBe(false);
    expect(fake.calls.request).toHaveLength(2);
  });

  test('doctor search, its empty state, then an error with retry', async () => {
    fake.reply('GET', '/api/v1/hospitals/', page([]));
    fake.reply('GET', '/api/v1/scheduling/doctors/search/', (req) => page(req.url.searchParams.get('q') === '心内' ? [DOCTOR] : []));
    const comp = h.renderPage('pages/index/index');
    await comp.instance.onLoad({});
    expect(comp.dom.textContent).toContain('没有找到医院');
    comp.setData({ keyword: '心内' });
    await comp.instance.onTab({ currentTarget: { dataset: { tab: 'doctor' } } });
    expect(comp.dom.textContent).toContain('李医生');
    expect(comp.dom.textContent).toContain('心内科');

    fake.reply('GET', '/api/v1/scheduling/doctors/search/', h.error('throttled', 429));
    await comp.instance.onSearch();
    expect(comp.dom.textContent).toContain('操作太频繁，请稍后再试');
    expect(comp.dom.textContent).toContain('重试');
  });
});

describe('hospital', () => {
  test('department tree and the phone call', async () => {
    fake.reply('GET', '/api/v1/hospitals/1/', [200, {
      id: 1, name: '仁和医院', level_display: '三级甲等', address: '东城区', phone: '010-12345678', introduction: '',
      departments: [{ id: 2, name: '内科', introduction: '', children: [{ id: 3, name: '心内科', introduction: '', children: [] }] }]
    }]);
    const comp = h.renderPage('pages/hospital/hospital');
    await comp.instance.onLoad({ id: '1' });
    expect(comp.dom.textContent).toContain('内科');
    expect(comp.dom.textContent).toContain('心内科');
    comp.querySelector('.phone').dispatchEvent('tap');
    comp.querySelector('.clinic').dispatchEvent('tap');
    await h.flush();
    expect(fake.calls.makePhoneCall[0].phoneNumber).toBe('010-12345678');
    expect(fake.calls.navigateTo[0].url).toBe('/pages/department/department?id=3&name=' + encodeURIComponent('心内科'));
  });

  test('a missing hospital shows the Chinese error', async () => {
    fake.reply('GET', '/api/v1/hospitals/9/', h.error('hospital_not_found', 404));
    const comp = h.renderPage('pages/hospital/hospital');
    await comp.instance.onLoad({ id: '9' });
    expect(comp.dom.textContent).toContain('医院不存在');
  });
});

describe('doctor', () => {
  function sessions(list) {
    fake.reply('GET', '/api/v1/hospitals/doctors/5/', [200, DOCTOR]);
    fake.reply('GET', '/api/v1/scheduling/doctors/5/sessions/', (req) => [200, {
      doctor_id: 5,
      sessions: list.filter((s) => !req.url.searchParams.get('clinic_type') || s.clinic_type === req.url.searchParams.get('clinic_type'))
    }]);
  }

  test('sessions by date with seats left, clinic type, book and waitlist', async () => {
    sessions([
      SESSION,
      Object.assign({}, SESSION, { id: 12, period_display: '下午', clinic_type: 'general', clinic_type_display: '普通门诊', remaining: 0 })
    ]);
    const comp = h.renderPage('pages/doctor/doctor');
    await comp.instance.onLoad({ id: '5' });
    const textContent = comp.dom.textContent;
    expect(textContent).toContain('2026-11-29 周日');
    expect(textContent).toContain('专家门诊');
    expect(textContent).toContain('普通门诊');
    expect(textContent).toContain('剩余 3 个号');
    expect(comp.querySelector('.book')).toBeTruthy();
    expect(comp.querySelector('.waitlist')).toBeTruthy();
    comp.querySelector('.waitlist').dispatchEvent('tap');
    await h.flush();
    expect(fake.calls.navigateTo[0].url).toBe('/pages/confirm/confirm?waitlist=1&session=12');

    await comp.instance.onClinicType({ currentTarget: { dataset: { value: 'general' } } });
    const last = fake.calls.request[fake.calls.request.length - 1];
    expect(new URL(last.url).searchParams.get('clinic_type')).toBe('general');
    expect(comp.dom.textContent).not.toContain('专家门诊 上午');
    expect(comp.querySelectorAll('.session')).toHaveLength(1);

    await comp.instance.onClinicType({ currentTarget: { dataset: { value: 'specialist' } } });
    expect(comp.dom.textContent).toContain('近期没有专科门诊出诊');
  });

  test('the release countdown ticks and the page reloads when booking opens', async () => {
    jest.useFakeTimers({ now: new Date('2026-11-27T07:59:57+08:00') });
    const waiting = Object.assign({}, SESSION, { bookable_now: false });
    sessions([waiting]);
    const comp = h.renderPage('pages/doctor/doctor');
    const loaded = comp.instance.onLoad({ id: '5' });
    await jest.advanceTimersByTimeAsync(10);
    await loaded;
    expect(comp.querySelector('.countdown').dom.textContent).toBe('距放号 00:00:03');
    expect(comp.querySelector('.book')).toBeFalsy();

    await jest.advanceTimersByTimeAsync(1000);
    expect(comp.querySelector('.countdown').dom.textContent).toBe('距放号 00:00:02');

    sessions([Object.assign({}, SESSION, { bookable_now: true })]);
    const before = fake.calls.request.length;
    await jest.advanceTimersByTimeAsync(1000);
    expect(fake.calls.request.length).toBe(before); // 00:00:01: not yet
    await jest.advanceTimersByTimeAsync(1100);
    expect(fake.calls.request.length).toBeGreaterThan(before);
    expect(comp.querySelector('.countdown')).toBeFalsy();
    expect(comp.querySelector('.book')).toBeTruthy();
    comp.instance.onUnload();
  });

  test('a member sees the priority window before the public release', async () => {
    jest.useFakeTimers({ now: new Date('2026-11-27T05:00:00+08:00') });
    sessions([Object.assign({}, SESSION, { bookable_now: false, can_book_from: '2026-11-27T06:00:00+08:00', priority_seats_left: 3 })]);
    const comp = h.renderPage('pages/doctor/doctor');
    const loaded = comp.instance.onLoad({ id: '5' });
    await jest.advanceTimersByTimeAsync(10);
    await loaded;
    expect(comp.querySelector('.priority').dom.textContent).toBe('会员优先：2026-11-27 06:00 起可约（公开放号 2026-11-27 08:00），会员优先号余 3 个');
    expect(comp.querySelector('.countdown').dom.textContent).toBe('距放号 01:00:00');
    comp.instance.onUnload();
  });
});

describe('slot and confirm', () => {
  test('slots with seats left; a full slot cannot be chosen', async () => {
    fake.reply('GET', '/api/v1/scheduling/sessions/11/', [200, SESSION]);
    const comp = h.renderPage('pages/slot/slot');
    await comp.instance.onLoad({ session: '11' });
    expect(comp.dom.textContent).toContain('08:00-08:30');
    expect(comp.dom.textContent).toContain('已约满');
    expect(comp.querySelectorAll('.choose')).toHaveLength(1);
  });

  test('no patient profile: the empty state asks to add one', async () => {
    fake.reply('GET', '/api/v1/scheduling/sessions/11/', [200, SESSION]);
    fake.reply('GET', '/api/v1/accounts/profiles/', page([]));
    const comp = h.renderPage('pages/confirm/confirm');
    await comp.instance.onLoad({ session: '11', slot: '101' });
    expect(comp.dom.textContent).toContain('还没有就诊人，请先添加');
    expect(comp.querySelector('.add-profile')).toBeTruthy();
  });

  test('booking sends one idempotency key per confirmation and goes to pay; a refusal is shown', async () => {
    fake.reply('GET', '/api/v1/scheduling/sessions/11/', [200, SESSION]);
    fake.reply('GET', '/api/v1/accounts/profiles/', page([{ id: 8, name: '李四', relation: 'parent' }, { id: 9, name: '张三', relation: 'self' }]));
    fake.reply('POST', '/api/v1/appointments/book/', h.error('slot_full', 409));
    const comp = h.renderPage('pages/confirm/confirm');
    await comp.instance.onLoad({ session: '11', slot: '101' });
    expect(comp.data.profileId).toBe(9); // 本人 first
    await comp.instance.onSubmit();
    expect(comp.dom.textContent).toContain('该时段已约满');

    fake.reply('POST', '/api/v1/appointments/book/', [201, APPOINTMENT]);
    await comp.instance.onSubmit();
    const books = fake.calls.request.filter((r) => r.url.indexOf('/book/') >= 0);
    expect(books[0].data).toEqual({ slot_id: 101, profile_id: 9 });
    expect(books[0].header['Idempotency-Key']).toBe(books[1].header['Idempotency-Key']);
    expect(fake.calls.redirectTo[0].url).toBe('/pages/pay/pay?appointment=77');
  });
});

describe('pay', () => {
  const PENDING = Object.assign({}, APPOINTMENT, { status: 'pending_payment', hold_expires_at: '2026-11-27T09:15:00+08:00' });

  test('only WeChat Pay is offered; the page says why there is no Alipay', async () => {
    fake.reply('GET', '/api/v1/appointments/77/', [200, PENDING]);
    fake.reply('GET', '/api/v1/billing/channels/', [200, { channels: ['wechat', 'alipay'] }]);
    fake.reply('POST', '/api/v1/billing/orders/', [201, { id: 5, status: 'created', pay_params: { timeStamp: '1', nonceStr: 'n', package: 'prepay_id=p', signType: 'RSA', paySign: 's' } }]);
    const comp = h.renderPage('pages/pay/pay');
    await comp.instance.onLoad({ appointment: '77' });
    expect(comp.dom.textContent).toContain('微信小程序内无法使用支付宝');
    expect(comp.dom.textContent).toContain('¥50.00');
    expect(comp.querySelector('.pay-wechat')).toBeTruthy();
    expect(comp.dom.textContent).not.toContain('支付宝支付');

    await comp.instance.onPay();
    expect(fake.calls.request.filter((r) => r.method === 'POST')[0].data).toEqual({ appointment_id: 77, channel: 'wechat' });
    const paid = fake.calls.requestPayment[0];
    expect([paid.timeStamp, paid.nonceStr, paid.package, paid.signType, paid.paySign]).toEqual(['1', 'n', 'prepay_id=p', 'RSA', 's']);
    expect(fake.calls.redirectTo[0].url).toBe('/pages/result/result?appointment=77');
  });

  test('in development the dev gateway pays', async () => {
    fake.reply('GET', '/api/v1/appointments/77/', [200, PENDING]);
    fake.reply('GET', '/api/v1/billing/channels/', [200, { channels: ['wechat', 'dev'] }]);
    fake.reply('POST', '/api/v1/billing/orders/', [201, { id: 5, status: 'created', pay_params: { dev_pay_url: '/x' } }]);
    fake.reply('POST', '/api/v1/billing/orders/5/dev-pay/', [200, { id: 5, status: 'paid' }]);
    const comp = h.renderPage('pages/pay/pay');
    await comp.instance.onLoad({ appointment: '77' });
    expect(comp.querySelector('.pay-dev')).toBeTruthy();
    await comp.instance.onPay();
    expect(fake.calls.requestPayment).toBeUndefined();
    expect(fake.calls.redirectTo[0].url).toBe('/pages/result/result?appointment=77');
  });

  test('no usable channel is the empty state; an expired hold is shown in Chinese', async () => {
    fake.reply('GET', '/api/v1/appointments/77/', [200, PENDING]);
    fake.reply('GET', '/api/v1/billing/channels/', [200, { channels: ['alipay'] }]);
    const comp = h.renderPage('pages/pay/pay');
    await comp.instance.onLoad({ appointment: '77' });
    expect(comp.dom.textContent).toContain('暂无可用的支付方式');

    fake.reply('GET', '/api/v1/billing/channels/', [200, { channels: ['wechat'] }]);
    fake.reply('POST', '/api/v1/billing/orders/', h.error('payment_time_expired', 409));
    await comp.instance.reload();
    await comp.instance.onPay();
    expect(comp.dom.textContent).toContain('已超过支付时间，号源已释放');
  });
});

describe('result', () => {
  test('waits for the payment notification: polls until the booking is paid', async () => {
    jest.useFakeTimers();
    let status = 'pending_payment';
    fake.reply('GET', '/api/v1/appointments/77/', () => [200, Object.assign({}, APPOINTMENT, { status: status })]);
    fake.reply('GET', '/api/v1/appointments/notifications/subscribe-templates/', [200, { templates: [] }]);
    const comp = h.renderPage('pages/result/result');
    const loaded = comp.instance.onLoad({ appointment: '77' });
    await jest.advanceTimersByTimeAsync(10);
    await loaded;
    expect(comp.querySelector('.status').dom.textContent).toBe('等待支付结果…');
    await jest.advanceTimersByTimeAsync(2010);
    expect(comp.querySelector('.status').dom.textContent).toBe('等待支付结果…');
    status = 'booked';
    await jest.advanceTimersByTimeAsync(2010);
    expect(comp.querySelector('.status').dom.textContent).toBe('预约成功');
    const polls = fake.calls.request.filter((r) => r.url.endsWith('/appointments/77/')).length;
    await jest.advanceTimersByTimeAsync(20000);
    expect(fake.calls.request.filter((r) => r.url.endsWith('/appointments/77/')).length).toBe(polls);
  });
});

describe('my appointments', () => {
  test('list with status, cancel after confirming, empty filter', async () => {
    fake.reply('GET', '/api/v1/appointments/', (req) => page(req.url.searchParams.get('status') === 'cancelled' ? [] : [APPOINTMENT]));
    fake.reply('POST', '/api/v1/appointments/77/cancel/', [200, Object.assign({}, APPOINTMENT, { status: 'cancelled' })]);
    const comp = h.renderPage('pages/appointments/appointments');
    await comp.instance.onLoad({});
    expect(comp.dom.textContent).toContain('已预约');
    await comp.instance.onCancel({ currentTarget: { dataset: { id: 77 } } });
    const cancel = fake.calls.request.filter((r) => r.url.indexOf('/cancel/') >= 0);
    expect(cancel).toHaveLength(1);
    expect(fake.calls.showModal).toHaveLength(1);
    await comp.instance.onFilter({ currentTarget: { dataset: { value: 'cancelled' } } });
    expect(comp.dom.textContent).toContain('暂无预约');
  });

  test('detail: check-in QR code, reminders switch, subscribe consent', async () => {
    fake.reply('GET', '/api/v1/appointments/77/', [200, APPOINTMENT]);
    fake.reply('GET', '/api/v1/appointments/77/check-in-code/', [200, { code: 'CK-77-abc', valid_from: '', expires_at: '2026-11-29T12:00:00+08:00', png_base64: '' }]);
    fake.reply('POST', '/api/v1/appointments/77/reminders/', (req) => [200, Object.assign({}, APPOINTMENT, { reminders_enabled: req.data.enabled })]);
    fake.reply('GET', '/api/v1/appointments/notifications/subscribe-templates/', [200, { templates: [
      { event: 'booked', template_id: 't-booked' }, { event: 'refund_done', template_id: 't-refund' },
      { event: 'visit_reminder', template_id: 't-visit' }, { event: 'stop_clinic', template_id: 't-stop' }
    ] }]);
    const comp = h.renderPage('pages/appointment/detail');
    await comp.instance.onLoad({ id: '77' });
    await h.flush();
    expect(comp.dom.textContent).toContain('2026-11-29 12:00 前有效');
    expect(fake.calls.canvas.rects.length).toBeGreaterThan(100);

    await comp.instance.onReminders({ detail: { value: false } });
    expect(comp.data.a.reminders_enabled).toBe(false);

    await comp.instance.onSubscribe();
    expect(fake.calls.requestSubscribeMessage[0].tmplIds).toEqual(['t-visit', 't-stop', 't-booked']);
  });

  test('detail: a check-in code refused today is a hint, not a page error', async () => {
    fake.reply('GET', '/api/v1/appointments/77/', [200, APPOINTMENT]);
    fake.reply('GET', '/api/v1/appointments/77/check-in-code/', h.error('checkin_code_not_yet_valid', 409));
    const comp = h.renderPage('pages/appointment/detail');
    await comp.instance.onLoad({ id: '77' });
    await h.flush();
    expect(comp.querySelector('.code-error').dom.textContent).toBe('还未到签到时间');
    expect(comp.dom.textContent).toContain('李医生');
  });
});

describe('login', () => {
  test('SMS login stores the tokens; a wrong code is shown in Chinese', async () => {
    fake.wx.removeStorageSync('auth_tokens');
    fake.reply('POST', '/api/v1/accounts/sms/send/', [200, { expires_in: 300, resend_after: 60 }]);
    fake.reply('POST', '/api/v1/accounts/login/sms/', (req) => (req.data.code === '123456'
      ? [200, { access: 'A2', refresh: 'R2', is_new_user: true, user: {} }] : h.error('sms_code_invalid')));
    const comp = h.renderPage('pages/login/login');
    comp.setData({ phone: '13800000000' });
    await comp.instance.onSendCode();
    expect(comp.dom.textContent).toContain('60秒后重发');
    comp.setData({ code: '000000' });
    await comp.instance.onSmsLogin();
    expect(comp.dom.textContent).toContain('验证码错误');
    comp.setData({ code: '123456' });
    await comp.instance.onSmsLogin();
    expect(fake.storage.auth_tokens).toEqual({ access: 'A2', refresh: 'R2' });
    comp.instance.onUnload();
  });

  test('WeChat login sends the wx.login code', async () => {
    fake.reply('POST', '/api/v1/accounts/login/wechat/', [200, { access: 'W', refresh: 'WR', is_new_user: false, user: {} }]);
    const comp = h.renderPage('pages/login/login');
    await comp.instance.onWechatLogin();
    expect(fake.calls.request[0].data).toEqual({ code: 'wx-login-code' });
    expect(fake.storage.auth_tokens.access).toBe('W');
  });
});

describe('messages, waitlist, profiles, records, member', () => {
  test('messages: unread count, mark one read and open its page', async () => {
    fake.reply('GET', '/api/v1/appointments/notifications/', page([{ id: 3, title: '预约成功', body: '...', page: 'pages/appointment/detail?id=77', is_read: false, created_at: '2026-11-27T09:00:00+08:00' }]));
    fake.reply('GET', '/api/v1/appointments/notifications/unread-count/', [200, { unread: 1 }]);
    fake.reply('POST', '/api/v1/appointments/notifications/3/read/', [200, { id: 3, is_read: true }]);
    const comp = h.renderPage('pages/messages/messages');
    await comp.instance.onLoad({});
    expect(comp.querySelector('.unread').dom.textContent).toBe('1');
    await comp.instance.onOpen({ currentTarget: { dataset: { index: 0 } } });
    expect(comp.querySelector('.unread').dom.textContent).toBe('0');
    expect(fake.calls.navigateTo[0].url).toBe('/pages/appointment/detail?id=77');
  });

  test('waitlist: list and leave', async () => {
    fake.reply('GET', '/api/v1/appointments/waitlist/', page([{ id: 4, status: 'waiting', session_id: 11, session_date: '2026-11-29', period: 'morning', doctor_name: '李医生', profile_name: '张三', appointment_id: null }]));
    fake.reply('POST', '/api/v1/appointments/waitlist/4/leave/', [200, { id: 4, status: 'left' }]);
    const comp = h.renderPage('pages/waitlist/index');
    await comp.instance.onLoad({});
    expect(comp.dom.textContent).toContain('候补中');
    expect(comp.dom.textContent).toContain('2026-11-29 上午');
    await comp.instance.onLeave({ currentTarget: { dataset: { id: 4 } } });
    expect(fake.calls.request.some((r) => r.url.endsWith('/waitlist/4/leave/'))).toBe(true);
  });

  test('profiles: a profile with bookings cannot be deleted (shown in Chinese)', async () => {
    fake.reply('GET', '/api/v1/accounts/profiles/', page([{ id: 9, name: '张三', relation: 'self', id_card_no: '1101**********1234', phone: '138****0000' }]));
    fake.reply('POST', '/api/v1/accounts/profiles/9/delete/', h.error('profile_has_active_bookings', 409));
    const comp = h.renderPage('pages/profiles/profiles');
    await comp.instance.onLoad({});
    expect(comp.dom.textContent).toContain('本人');
    await comp.instance.onDelete({ currentTarget: { dataset: { id: 9 } } });
    expect(fake.calls.showToast[0].title).toBe('该就诊人还有未完成的预约，暂不能删除');
  });

  test('profile edit: create sends the declared fields', async () => {
    fake.reply('POST', '/api/v1/accounts/profiles/create/', [201, { id: 10 }]);
    const comp = h.renderPage('pages/profile-edit/profile-edit');
    await comp.instance.onLoad({});
    comp.setData({ form: { name: '王五', id_card_no: '110101199001011234', phone: '13800000001', insurance_card_no: '' }, relationIndex: 3 });
    await comp.instance.onSave();
    expect(fake.calls.request[0].data).toEqual({ name: '王五', relation: 'child', id_card_no: '110101199001011234', phone: '13800000001' });
  });

  test('records: empty state, then a not-logged-in error offers login', async () => {
    fake.reply('GET', '/api/v1/records/', page([]));
    const comp = h.renderPage('pages/records/index');
    await comp.instance.onLoad({});
    expect(comp.dom.textContent).toContain('暂无病历');
    fake.wx.removeStorageSync('auth_tokens');
    fake.reply('GET', '/api/v1/records/', h.error('not_authenticated', 401));
    await comp.instance.reload();
    expect(comp.dom.textContent).toContain('请先登录');
    expect(comp.dom.textContent).toContain('去登录');
  });

  test('member centre: level, privileges and points', async () => {
    fake.reply('GET', '/api/v1/accounts/member/', [200, { level: { code: 'gold', name: '金卡会员' }, privileges: { priority_hours: 2, reserved_share: '0.10', late_cancel_monthly_quota: 1, discount_rate: '0.95', waitlist_priority: 2 }, points: 120, next_level: { name: '白金会员' }, points_to_next_level: 380, late_cancels_left_this_month: 1 }]);
    fake.reply('GET', '/api/v1/accounts/member/points/', page([{ id: 1, delta: 20, reason: '完成就诊', created_at: '2026-11-20T10:00:00+08:00' }]));
    const comp = h.renderPage('pages/member/member');
    await comp.instance.onLoad({});
    expect(comp.dom.textContent).toContain('金卡会员');
    expect(comp.dom.textContent).toContain('放号前 2 小时可约');
    expect(comp.dom.textContent).toContain('+20');
  });
});
