// 排队放号的排队页（pages/release-queue）：进入排队、按 poll_after_seconds 轮询、轮到时选时段预约、
// 错误提示、离开与重新排队；医生页的“进入排队”。
const h = require('./helpers/fake-wx.js');

let fake;

beforeEach(() => {
  fake = h.install();
  fake.wx.setStorageSync('auth_tokens', { access: 'A', refresh: 'R' });
  jest.useFakeTimers({ now: new Date('2026-11-27T07:55:00+08:00') });
});

afterEach(() => {
  jest.useRealTimers();
});

const tick = (ms) => jest.advanceTimersByTimeAsync(ms);
const PLACE_PATH = '/api/v1/appointments/release-queue/11/';
const JOIN_PATH = '/api/v1/appointments/release-queue/11/join/';

const SESSION = {
  id: 11, doctor_id: 5, hospital_id: 1, date: '2026-11-29', period: 'morning', period_display: '上午',
  start_time: '08:00', end_time: '12:00', fee: 5000, place: '门诊楼 3 层', clinic_type: 'expert',
  clinic_type_display: '专家门诊', room: null, remaining: 3, release_queue: true,
  release_at: '2026-11-27T08:00:00+08:00', can_book_from: '2026-11-27T08:00:00+08:00', bookable_now: false,
  priority_seats_left: null,
  slots: [
    { id: 101, starts_at: '2026-11-29T08:00:00+08:00', ends_at: '2026-11-29T08:30:00+08:00', capacity: 5, remaining: 3, queue_start: 1 },
    { id: 102, starts_at: '2026-11-29T08:30:00+08:00', ends_at: '2026-11-29T09:00:00+08:00', capacity: 5, remaining: 0, queue_start: 6 }
  ]
};
const PROFILES = [{ id: 9, name: '张三', relation: 'self' }, { id: 8, name: '张小三', relation: 'child' }];

function place(state, extra) {
  return Object.assign({
    session_id: 11, state: state, opens_at: '2026-11-27T07:30:00+08:00', release_at: '2026-11-27T08:00:00+08:00',
    closes_at: '2026-11-27T08:30:00+08:00', waiting_room: 0, places: 0, admitted: 0, position: null, ahead: null,
    profile_id: null, admitted_at: null, pass_until: null, estimated_wait_seconds: null, likely_seat: null,
    seats_left: 3, poll_after_seconds: null
  }, extra || {});
}

// 假服务器：位置的应答依次取 answers（取完停在最后一个），记录每次询问的时间
function serve(answers) {
  const server = { answers: answers.slice(), asked: [], joined: [], left: 0 };
  fake.reply('GET', '/api/v1/scheduling/sessions/11/', [200, SESSION]);
  fake.reply('GET', '/api/v1/accounts/profiles/', [200, { count: 2, next: null, previous: null, results: PROFILES }]);
  fake.reply('GET', '/api/v1/appointments/notifications/subscribe-templates/', [200, { templates: [
    { event: 'booked', template_id: 't-booked' },
    { event: 'release_queue_admitted', template_id: 't-turn' }
  ] }]);
  fake.reply('GET', PLACE_PATH, () => {
    server.asked.push(Date.now());
    return server.answers.length > 1 ? server.answers.shift() : server.answers[0];
  });
  fake.reply('POST', JOIN_PATH, (req) => {
    server.joined.push(req.data);
    return server.joinAnswer;
  });
  fake.reply('DELETE', PLACE_PATH, () => {
    server.left += 1;
    return server.leaveAnswer || [204, ''];
  });
  return server;
}

async function open() {
  const comp = h.renderPage('pages/release-queue/index');
  const loaded = comp.instance.onLoad({ session: '11' });
  await tick(10);
  await loaded;
  return comp;
}

function text(comp) {
  return comp.dom.textContent;
}

describe('joining the waiting room', () => {
  test('choose the patient, join, and the place says it is drawn at the release', async () => {
    const server = serve([[200, place('open')]]);
    server.joinAnswer = [201, place('drawing', { profile_id: 8, waiting_room: 12, poll_after_seconds: 30 })];
    const comp = await open();
    expect(text(comp)).toContain('排队已开始，可以进入排队');
    expect(comp.data.profileId).toBe(9); // 本人在先

    comp.querySelectorAll('.profile')[1].dispatchEvent('tap');
    await tick(10);
    comp.querySelector('.join').dispatchEvent('tap');
    await tick(10);

    expect(server.joined).toEqual([{ profile_id: 8 }]);
    // 进入排队的那一下请求订阅“轮到您了”的通知
    expect(fake.calls.requestSubscribeMessage[0].tmplIds).toEqual(['t-turn', 't-booked']);
    expect(text(comp)).toContain('已进入排队，放号时统一抽签排序');
    expect(text(comp)).toContain('就诊人：张小三');
    expect(text(comp)).toContain('已排队人数：12');
    expect(comp.querySelector('.leave')).toBeTruthy();
    expect(comp.querySelector('.join')).toBeFalsy();
    comp.instance.onUnload();
  });

  test('a refusal is shown in Chinese and nothing is polled', async () => {
    const server = serve([[200, place('open')]]);
    server.joinAnswer = h.error('release_queue_person_has_place', 409);
    const comp = await open();
    const joined = comp.instance.onJoin();
    await tick(10);
    await joined;
    expect(h.text(comp, '.error-text')).toBe('该就诊人已通过其他账号在该出诊排队');
    await tick(60000);
    expect(server.asked).toHaveLength(1); // open: poll_after_seconds is null
  });

  test('before the waiting room opens: the opening time, asked again when the server says', async () => {
    const server = serve([[200, place('not_open', { poll_after_seconds: 60 })]]);
    const comp = await open();
    expect(text(comp)).toContain('排队尚未开始');
    expect(text(comp)).toContain('排队开始时间：2026-11-27 07:30');
    expect(comp.querySelector('.join')).toBeFalsy();
    comp.instance.onUnload();
  });
});

describe('without the queue', () => {
  test.each([
    ['off', '该出诊不排队，可照常预约'],
    ['fallback', '排队服务暂不可用，请照常预约'],
    ['closed', '排队放号已结束，请照常预约']
  ])('%s: says so and leads to the usual slot page', async (state, said) => {
    const server = serve([[200, place(state)]]);
    const comp = await open();
    expect(h.text(comp, '.state-text')).toBe(said);
    expect(comp.querySelector('.join')).toBeFalsy();
    expect(comp.querySelector('.leave')).toBeFalsy();
    comp.querySelector('.as-usual').dispatchEvent('tap');
    await tick(10);
    expect(fake.calls.navigateTo[0].url).toBe('/pages/slot/slot?session=11');
    await tick(60000);
    expect(server.asked).toHaveLength(1);
  });
});

describe('polling', () => {
  test('asks again after poll_after_seconds each time, and stops when it is null', async () => {
    const server = serve([
      [200, place('drawing', { profile_id: 9, poll_after_seconds: 30 })],
      [200, place('waiting', { profile_id: 9, position: 7, ahead: 3, estimated_wait_seconds: 4, likely_seat: true, poll_after_seconds: 2 })],
      [200, place('waiting', { profile_id: 9, position: 7, ahead: 1, estimated_wait_seconds: 2, likely_seat: true, seats_left: 2, poll_after_seconds: 2 })],
      [200, place('booked', { profile_id: 9, position: 7, poll_after_seconds: null })]
    ]);
    const comp = await open();
    const start = server.asked[0];

    await tick(29000);
    expect(server.asked).toHaveLength(1);
    await tick(1000);
    expect(server.asked).toHaveLength(2);
    expect(text(comp)).toContain('我的排队号：7');
    expect(text(comp)).toContain('前面还有 3 人');
    expect(text(comp)).toContain('预计等待：约 4 秒');

    await tick(2000);
    expect(server.asked).toHaveLength(3);
    expect(text(comp)).toContain('前面还有 1 人');
    expect(text(comp)).toContain('剩余号源：2');
    await tick(2000);
    expect(server.asked.map((t) => Math.round((t - start) / 1000))).toEqual([0, 30, 32, 34]);
    expect(text(comp)).toContain('已通过排队预约成功');

    await tick(120000);
    expect(server.asked).toHaveLength(4); // booked: no more asking
    comp.querySelector('.to-appointments').dispatchEvent('tap');
    await tick(10);
    expect(fake.calls.switchTab[0].url).toBe('/pages/appointments/appointments');
  });

  test('stops while the page is hidden or unloaded, and asks at once when shown again', async () => {
    const server = serve([[200, place('waiting', { profile_id: 9, position: 3, ahead: 2, poll_after_seconds: 5 })]]);
    const comp = await open();
    comp.instance.onHide();
    await tick(60000);
    expect(server.asked).toHaveLength(1);

    const shown = comp.instance.onShow();
    await tick(10);
    await shown;
    expect(server.asked).toHaveLength(2);
    await tick(5000);
    expect(server.asked).toHaveLength(3);

    comp.instance.onUnload();
    await tick(60000);
    expect(server.asked).toHaveLength(3);
  });

  test('a network or server error is retried; other errors stop with the message', async () => {
    const server = serve([
      [200, place('waiting', { profile_id: 9, position: 3, ahead: 2, poll_after_seconds: 2 })],
      [503, { error: { code: 'server_error', message: 'x', fields: {} } }],
      h.error('session_not_found', 404)
    ]);
    const comp = await open();
    await tick(2000); // the 503
    expect(server.asked).toHaveLength(2);
    await tick(5000); // retried after 5 s: the 404
    expect(server.asked).toHaveLength(3);
    expect(h.text(comp, '.error-text')).toBe('出诊不存在');
    await tick(60000);
    expect(server.asked).toHaveLength(3);
  });
});

describe('admitted', () => {
  test('counts down to pass_until and books a slot through the confirm page with the held patient', async () => {
    const server = serve([
      [200, place('waiting', { profile_id: 8, position: 2, ahead: 0, estimated_wait_seconds: 1, likely_seat: true, poll_after_seconds: 1 })],
      [200, place('admitted', { profile_id: 8, position: 2, admitted_at: '2026-11-27T07:55:01+08:00', pass_until: '2026-11-27T07:58:01+08:00', poll_after_seconds: 5 })]
    ]);
    const comp = await open();
    expect(comp.querySelector('.choose')).toBeFalsy();
    await tick(1000);
    await tick(10);
    expect(text(comp)).toContain('轮到您了，请尽快预约');
    expect(h.text(comp, '.pass')).toBe('请在 00:02:59 内选择时段并确认预约');
    await tick(1000);
    expect(h.text(comp, '.pass')).toBe('请在 00:02:58 内选择时段并确认预约');
    expect(comp.querySelectorAll('.choose')).toHaveLength(1); // the full slot has none

    comp.querySelector('.choose').dispatchEvent('tap');
    await tick(10);
    expect(fake.calls.navigateTo[0].url).toBe('/pages/confirm/confirm?session=11&slot=101&profile=8');
    comp.instance.onUnload();
    expect(server.asked.length).toBeGreaterThan(1);
  });

  test('the confirm page books for the held patient only, and the gate refusal is in Chinese', async () => {
    serve([[200, place('admitted')]]);
    fake.reply('POST', '/api/v1/appointments/book/', (req) => {
      return req.data.profile_id === 8 ? h.error('release_queue_pass_lapsed', 409) : h.error('release_queue_place_not_transferable', 409);
    });
    const comp = h.renderPage('pages/confirm/confirm');
    const loaded = comp.instance.onLoad({ session: '11', slot: '101', profile: '8' });
    await tick(10);
    await loaded;
    expect(comp.data.profileId).toBe(8);
    expect(comp.querySelectorAll('.profile')).toHaveLength(1);
    const submitted = comp.instance.onSubmit();
    await tick(10);
    await submitted;
    expect(h.text(comp, '.error-text')).toBe('您的预约时限已过，可离开排队后重新加入');
  });
});

describe('leaving', () => {
  test('leave asks first, gives the place up and shows the join form again', async () => {
    const server = serve([[200, place('waiting', { profile_id: 9, position: 3, ahead: 2, poll_after_seconds: 5 })]]);
    const comp = await open();
    server.answers = [[200, place('open')]];
    comp.querySelector('.leave').dispatchEvent('tap');
    await tick(10);
    expect(fake.calls.showModal).toHaveLength(1);
    expect(server.left).toBe(1);
    expect(comp.querySelector('.join')).toBeTruthy();
    await tick(60000);
    expect(server.asked).toHaveLength(2); // open: no more asking
  });

  test('not holding a place is said in Chinese', async () => {
    const server = serve([[200, place('waiting', { profile_id: 9, position: 3, ahead: 2 })]]);
    server.leaveAnswer = h.error('release_queue_not_joined', 404);
    const comp = await open();
    const left = comp.instance.onLeave();
    await tick(10);
    await left;
    expect(h.text(comp, '.error-text')).toBe('您没有在该出诊排队');
  });

  test('lapsed: leave and join again with the same patient, at the end', async () => {
    const server = serve([[200, place('lapsed', { profile_id: 8, position: 2 })]]);
    server.joinAnswer = [201, place('waiting', { profile_id: 8, position: 40, ahead: 20, poll_after_seconds: 10 })];
    const comp = await open();
    expect(text(comp)).toContain('预约时限已过，未能预约');
    server.answers = [[200, place('open')]];
    comp.querySelector('.rejoin').dispatchEvent('tap');
    await tick(10);
    expect(server.left).toBe(1);
    expect(server.joined).toEqual([{ profile_id: 8 }]);
    expect(text(comp)).toContain('我的排队号：40');
    comp.instance.onUnload();
  });
});

describe('the doctor page', () => {
  test('a queued session leads to the waiting room instead of booking', async () => {
    fake.reply('GET', '/api/v1/hospitals/doctors/5/', [200, { id: 5, name: '李医生', title_display: '主任医师', specialty: '', introduction: '', hospital_name: '仁和医院', department_name: '心内科' }]);
    fake.reply('GET', '/api/v1/scheduling/doctors/5/sessions/', [200, { doctor_id: 5, sessions: [SESSION, Object.assign({}, SESSION, { id: 12, release_queue: false, bookable_now: true })] }]);
    fake.reply('GET', '/api/v1/consult/doctors/5/offer/', h.error('not_found', 404));
    const comp = h.renderPage('pages/doctor/doctor');
    const loaded = comp.instance.onLoad({ id: '5' });
    await tick(10);
    await loaded;
    expect(comp.querySelectorAll('.queue')).toHaveLength(1);
    expect(comp.querySelectorAll('.book')).toHaveLength(1);
    expect(text(comp)).toContain('热门出诊排队放号');
    comp.querySelector('.queue').dispatchEvent('tap');
    await tick(10);
    expect(fake.calls.navigateTo[0].url).toBe('/pages/release-queue/index?session=11');
    comp.instance.onUnload();
  });
});
