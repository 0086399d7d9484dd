// 在线问诊的页面：医生主页入口、发起问诊（图片上传与失败重试）、支付、我的问诊、对话、医生的设置。
const h = require('./helpers/fake-wx.js');

let fake;

beforeEach(() => {
  fake = h.install();
  fake.wx.setStorageSync('auth_tokens', { access: 'A', refresh: 'R' });
});

afterEach(() => {
  jest.useRealTimers();
});

function page(results, next) {
  return [200, { count: results.length, next: next || null, previous: null, results: results }];
}

const C = '/api/v1/consult/';
const DOCTOR = { id: 5, name: '李医生', title_display: '主任医师', specialty: '心律失常', introduction: '', hospital_name: '仁和医院', department_name: '心内科', fee: 5000 };
const OFFER = { doctor: 5, fee: 2000, reply_hours: 24 };
const PROFILES = [{ id: 9, name: '张三', relation: 'self' }, { id: 10, name: '张小三', relation: 'child' }];
const CONSULT = {
  id: 3, status: 'in_progress', fee: 2000, doctor: 5, doctor_name: '李医生', profile: 9, profile_name: '张三',
  problem: '胸闷两周', reply_deadline: '2026-11-29T10:00:00+08:00', started_at: null, last_message_at: null,
  closed_at: null, closed_by: '', stars: null, rating_comment: '', rated_at: null, created_at: '2026-11-28T10:00:00+08:00',
  payment_order: 31, refunded_amount: 0, problem_images: [{ id: 1, url: '/api/v1/consult/images/tok1/' }]
};

function msg(id, sender, extra) {
  return Object.assign({ id: id, sender: sender, kind: 'text', text: '消息' + id, recalled: false, image: null, created_at: '2026-11-28T10:00:00+08:00' }, extra);
}

function me(role) {
  fake.reply('GET', '/api/v1/accounts/me/', [200, { id: 1, role: role, nickname: '', phone: '138****0000', member_level: 'normal', points: 0 }]);
}

function paths(method) {
  return fake.calls.request.filter((r) => !method || r.method === method).map((r) => r.method + ' ' + new URL(r.url).pathname);
}

describe('doctor page entry', () => {
  function doctorPage() {
    fake.reply('GET', '/api/v1/hospitals/doctors/5/', [200, DOCTOR]);
    fake.reply('GET', '/api/v1/scheduling/doctors/5/sessions/', [200, { doctor_id: 5, sessions: [] }]);
  }

  test('shows 在线问诊 with the fee and reply hours when the doctor takes consults', async () => {
    doctorPage();
    fake.reply('GET', C + 'doctors/5/offer/', [200, OFFER]);
    const comp = h.renderPage('pages/doctor/doctor');
    await comp.instance.onLoad({ id: '5' });
    expect(h.text(comp, '.consult-offer')).toContain('图文问诊 ¥20.00 · 医生 24 小时内回复');
    comp.querySelector('.consult').dispatchEvent('tap');
    await h.flush();
    expect(fake.calls.navigateTo[0].url).toBe('/pages/consult/create?doctor=5');
  });

  test('no entry when the doctor takes none (404), and the sessions still show', async () => {
    doctorPage();
    fake.reply('GET', C + 'doctors/5/offer/', h.error('doctor_not_found', 404));
    const comp = h.renderPage('pages/doctor/doctor');
    await comp.instance.onLoad({ id: '5' });
    expect(comp.querySelector('.consult-offer')).toBeFalsy();
    expect(comp.dom.textContent).toContain('李医生');
    expect(comp.data.error).toBe('');
  });
});

describe('create a consult', () => {
  function world(created) {
    fake.reply('GET', '/api/v1/hospitals/doctors/5/', [200, DOCTOR]);
    fake.reply('GET', C + 'doctors/5/offer/', [200, OFFER]);
    fake.reply('GET', '/api/v1/accounts/profiles/', page(PROFILES));
    fake.reply('POST', C + 'create/', (req) => [201, Object.assign({}, CONSULT, { id: 3, status: created || 'awaiting_payment', profile: req.data.profile })]);
  }

  test('choose the profile, describe, add images; uploads each after creating, retries only the failed one, then pays', async () => {
    world();
    let uploaded = [];
    fake.reply('POST', C + '3/problem-images/', (req) => {
      uploaded.push(req.filePath);
      return [201, { id: uploaded.length, url: '/api/v1/consult/images/t' + uploaded.length + '/' }];
    });
    const comp = h.renderPage('pages/consult/create');
    await comp.instance.onLoad({ doctor: '5' });
    expect(h.text(comp, '.offer')).toBe('图文问诊 ¥20.00 · 医生 24 小时内回复，超时未回复全额退款');
    expect(comp.data.profileId).toBe(9);

    await comp.instance.onSubmit();
    expect(comp.dom.textContent).toContain('请描述您的病情');
    expect(paths('POST')).toEqual([]);

    fake.media.files = ['tmp/a.jpg', 'tmp/b.jpg'];
    fake.media.failUploads['tmp/b.jpg'] = true;
    await comp.instance.onAddImages();
    expect(fake.calls.chooseMedia[0].count).toBe(9);
    expect(comp.querySelectorAll('.image')).toHaveLength(3); // two images and the add button
    comp.instance.onProfile({ currentTarget: { dataset: { id: 10 } } });
    comp.instance.onProblem({ detail: { value: '  胸闷两周  ' } });

    const done = await comp.instance.onSubmit();
    expect(done).toBe(false);
    expect(fake.calls.request.find((r) => r.method === 'POST').data).toEqual({ doctor: 5, profile: 10, problem: '胸闷两周' });
    expect(fake.calls.uploadFile.map((u) => [u.name, u.header.Authorization])).toEqual([['image', 'Bearer A'], ['image', 'Bearer A']]);
    expect(uploaded).toEqual(['tmp/a.jpg']);
    expect(h.text(comp, '.upload-failed')).toBe('有 1 张图片没有上传成功，可以重试或删除后继续');
    expect(comp.querySelector('.image-state.done')).toBeTruthy();
    expect(h.text(comp, '.image-state.failed')).toBe('网络连接失败，请检查网络后重试');
    expect(h.text(comp, '.submit')).toBe('重试上传');

    delete fake.media.failUploads['tmp/b.jpg'];
    expect(await comp.instance.onSubmit()).toBe(true);
    expect(paths('POST').filter((p) => p.endsWith('/create/'))).toHaveLength(1); // not created twice
    expect(uploaded).toEqual(['tmp/a.jpg', 'tmp/b.jpg']);
    expect(fake.calls.redirectTo[0].url).toBe('/pages/pay/pay?consult=3');
  });

  test('a free consult goes straight to the conversation; at most 9 images; a refusal in Chinese', async () => {
    world('waiting');
    fake.reply('POST', C + 'create/', h.error('consult_daily_cap_reached', 409));
    const comp = h.renderPage('pages/consult/create');
    await comp.instance.onLoad({ doctor: '5' });
    fake.media.files = Array.from({ length: 12 }, (_, i) => 'tmp/' + i + '.jpg');
    await comp.instance.onAddImages();
    expect(comp.data.images).toHaveLength(9);
    expect(await comp.instance.onAddImages()).toBe(false);
    expect(fake.calls.showToast[0].title).toBe('最多 9 张图片');
    comp.instance.onRemoveImage({ currentTarget: { dataset: { index: 0 } } });
    comp.instance.onRemoveImage({ currentTarget: { dataset: { index: 0 } } });
    comp.instance.onRemoveImage({ currentTarget: { dataset: { index: 0 } } });
    comp.instance.onRemoveImage({ currentTarget: { dataset: { index: 0 } } });
    comp.instance.onRemoveImage({ currentTarget: { dataset: { index: 0 } } });
    comp.instance.onRemoveImage({ currentTarget: { dataset: { index: 0 } } });
    comp.instance.onRemoveImage({ currentTarget: { dataset: { index: 0 } } });
    comp.instance.onRemoveImage({ currentTarget: { dataset: { index: 0 } } });
    comp.instance.onRemoveImage({ currentTarget: { dataset: { index: 0 } } });
    comp.instance.onProblem({ detail: { value: '咳嗽' } });

    await comp.instance.onSubmit();
    expect(h.text(comp, '.error-text')).toBe('该医生今日问诊名额已满，请明天再试');

    world('waiting');
    expect(await comp.instance.onSubmit()).toBe(true);
    expect(fake.calls.uploadFile).toBeUndefined();
    expect(fake.calls.redirectTo[0].url).toBe('/pages/consult/chat?id=3');
  });

  test('no profile yet: the empty state offers to add one', async () => {
    world();
    fake.reply('GET', '/api/v1/accounts/profiles/', page([]));
    const comp = h.renderPage('pages/consult/create');
    await comp.instance.onLoad({ doctor: '5' });
    expect(comp.dom.textContent).toContain('还没有就诊人，请先添加');
    comp.querySelector('.add-profile').dispatchEvent('tap');
    await h.flush();
    expect(fake.calls.navigateTo[0].url).toBe('/pages/profile-edit/profile-edit');
  });
});

describe('pay for a consult', () => {
  test('the pay page opens the consult order and pays through the dev gateway, then opens the conversation', async () => {
    fake.reply('GET', C + '3/', [200, Object.assign({}, CONSULT, { status: 'awaiting_payment' })]);
    fake.reply('GET', '/api/v1/billing/channels/', [200, { channels: ['wechat', 'dev'] }]);
    fake.reply('POST', C + '3/pay/', (req) => [201, { id: 31, status: 'pending', channel: req.data.channel, amount: 2000, pay_params: { dev_pay_url: '/x' } }]);
    fake.reply('POST', '/api/v1/billing/orders/31/dev-pay/', [200, { id: 31, status: 'paid' }]);
    const comp = h.renderPage('pages/pay/pay');
    await comp.instance.onLoad({ consult: '3' });
    expect(comp.dom.textContent).toContain('李医生 · 在线问诊');
    expect(comp.dom.textContent).toContain('¥20.00');
    expect(comp.dom.textContent).toContain('超时未回复将全额退款');
    expect(await comp.instance.onPay()).toBe(true);
    expect(paths('POST')).toEqual(['POST /api/v1/consult/3/pay/', 'POST /api/v1/billing/orders/31/dev-pay/']);
    expect(fake.calls.request.find((r) => r.url.endsWith('/3/pay/')).data).toEqual({ channel: 'dev' });
    expect(fake.calls.redirectTo[0].url).toBe('/pages/consult/chat?id=3');
  });

  test('WeChat Pay uses the order pay_params; a closed consult answers in Chinese', async () => {
    fake.reply('GET', C + '3/', [200, Object.assign({}, CONSULT, { status: 'awaiting_payment' })]);
    fake.reply('GET', '/api/v1/billing/channels/', [200, { channels: ['wechat'] }]);
    fake.reply('POST', C + '3/pay/', [201, { id: 31, status: 'pending', pay_params: { timeStamp: '1', package: 'prepay_id=x' } }]);
    const comp = h.renderPage('pages/pay/pay');
    await comp.instance.onLoad({ consult: '3' });
    expect(await comp.instance.onPay()).toBe(true);
    expect(fake.calls.requestPayment[0].package).toBe('prepay_id=x');

    fake.reply('POST', C + '3/pay/', h.error('consult_not_open', 409));
    expect(await comp.instance.onPay()).toBe(false);
    expect(h.text(comp, '.error-text')).toBe('问诊已结束或尚未开始，无法操作');
  });
});

describe('my consults', () => {
  test('a patient: status badges, pay button, the next page at the bottom, open one', async () => {
    me('patient');
    fake.reply('GET', C, (req) => (req.url.searchParams.get('page') === '2'
      ? page([Object.assign({}, CONSULT, { id: 1, status: 'rated', stars: 4 })])
      : page([Object.assign({}, CONSULT, { id: 4, status: 'awaiting_payment' }), CONSULT], 'http://x/?page=2')));
    const comp = h.renderPage('pages/consults/consults');
    await comp.instance.onLoad({});
    const badges = comp.querySelectorAll('.status').map((n) => n.dom.textContent);
    expect(badges).toEqual(['待支付', '问诊中']);
    expect(comp.querySelectorAll('.pay')).toHaveLength(1);
    await comp.instance.onReachBottom();
    expect(comp.querySelectorAll('.consult')).toHaveLength(3);
    expect(h.text(comp, '.stars')).toBe('★★★★☆');
    expect(comp.dom.textContent).toContain('没有更多了');
    comp.querySelector('.pay').dispatchEvent('tap');
    comp.querySelectorAll('.consult')[1].dispatchEvent('tap');
    await h.flush();
    expect(fake.calls.navigateTo.map((n) => n.url)).toEqual(['/pages/pay/pay?consult=4', '/pages/consult/chat?id=3']);
  });

  test('a doctor: the patients by status, filtered by the server; the empty state', async () => {
    me('doctor');
    const all = [Object.assign({}, CONSULT, { id: 7, status: 'waiting', profile_name: '王五' }), CONSULT];
    fake.reply('GET', C, (req) => {
      const statuses = req.url.searchParams.getAll('status');
      return page(statuses.length ? all.filter((c) => statuses.indexOf(c.status) >= 0) : all);
    });
    const comp = h.renderPage('pages/consults/consults');
    await comp.instance.onLoad({});
    expect(fake.calls.setNavigationBarTitle[0].title).toBe('问诊工作台');
    expect(comp.dom.textContent).toContain('请在 2026-11-29 10:00 前回复');
    await comp.instance.onFilter({ currentTarget: { dataset: { value: 'todo' } } });
    expect(comp.querySelectorAll('.consult')).toHaveLength(1);
    expect(h.text(comp, '.consult .title')).toBe('王五');
    await comp.instance.onFilter({ currentTarget: { dataset: { value: 'done' } } });
    const asked = fake.calls.request.filter((r) => new URL(r.url).pathname === C).map((r) => new URL(r.url).searchParams.getAll('status'));
    expect(asked[asked.length - 1]).toEqual(['closed', 'rated', 'cancelled']);
    expect(comp.querySelectorAll('.consult')).toHaveLength(0);
    expect(comp.dom.textContent).toContain('没有这一类的问诊');
    expect(comp.querySelector('.pay')).toBeFalsy();

    fake.reply('GET', C, page([]));
    await comp.instance.onFilter({ currentTarget: { dataset: { value: '' } } });
    expect(comp.dom.textContent).toContain('还没有患者向您问诊');
  });

  test('an error shows with retry', async () => {
    me('patient');
    fake.reply('GET', C, h.error('server_error', 500));
    const comp = h.renderPage('pages/consults/consults');
    await comp.instance.onLoad({});
    expect(comp.dom.textContent).toContain('重试');
  });
});

describe('the conversation', () => {
  // 服务器上的消息，messages/ 按 after / limit 应答
  let messages;
  function serve(consult, role) {
    me(role || 'patient');
    fake.reply('GET', C + '3/', [200, consult || CONSULT]);
    fake.reply('GET', C + '3/messages/', (req) => {
      const after = Number(req.url.searchParams.get('after') || 0);
      const limit = Number(req.url.searchParams.get('limit'));
      const results = messages.filter((m) => m.id > after).slice(0, limit);
      return [200, { results: results, next_cursor: results.length ? results[results.length - 1].id : after }];
    });
  }

  async function open(consult, role) {
    serve(consult, role);
    const comp = h.renderPage('pages/consult/chat');
    await comp.instance.onLoad({ id: '3' });
    return comp;
  }

  test('loads every page of messages from the start, then follows the socket without duplicates', async () => {
    messages = Array.from({ length: 120 }, (_, i) => msg(i + 1, i % 2 ? 'doctor' : 'patient'));
    const comp = await open();
    const reads = fake.calls.request.filter((r) => r.url.includes('/messages/')).map((r) => new URL(r.url).searchParams.get('after'));
    expect(reads).toEqual(['0', '100']);
    expect(comp.querySelectorAll('.message')).toHaveLength(120);
    expect(comp.data.scrollTo).toBe('m120');
    expect(comp.querySelectorAll('.thumb')).toHaveLength(1);
    expect(comp.data.consult.problemImages[0].src).toBe('http://127.0.0.1:8000/api/v1/consult/images/tok1/');

    const socket = fake.sockets[0];
    expect(socket.options.url).toBe('ws://127.0.0.1:8000/ws/consult/3/');
    expect(socket.options.header.Authorization).toBe('Bearer A');
    messages.push(msg(121, 'doctor'));
    socket.receive({ type: 'ready' });
    await h.flush();
    socket.receive({ type: 'message', message: msg(121, 'doctor') });
    socket.receive({ type: 'message', message: msg(122, 'doctor', { kind: 'image', text: '', image: { url: '/api/v1/consult/images/tok2/', width: 10, height: 10 } }) });
    await h.flush();
    expect(comp.querySelectorAll('.message')).toHaveLength(122);
    expect(comp.data.scrollTo).toBe('m122');

    comp.querySelector('.picture').dispatchEvent('tap');
    await h.flush();
    expect(fake.calls.previewImage[0]).toMatchObject({ current: 'http://127.0.0.1:8000/api/v1/consult/images/tok2/', urls: ['http://127.0.0.1:8000/api/v1/consult/images/tok2/'] });

    socket.receive({ type: 'recalled', message_id: 121 });
    await h.flush();
    expect(comp.dom.textContent).toContain('医生撤回了一条消息');

    fake.reply('GET', C + '3/', [200, Object.assign({}, CONSULT, { status: 'closed' })]);
    socket.receive({ type: 'consult', consult: { id: 3, status: 'closed' } });
    await h.flush();
    expect(h.text(comp, '.head .status')).toBe('已结束');
    expect(comp.querySelector('.composer')).toBeFalsy();
    expect(socket.closed).toBe(true); // nothing more to follow
    comp.instance.onUnload();
  });

  test('send text; the echo from the socket is not shown twice; an error in Chinese', async () => {
    messages = [];
    const comp = await open();
    expect(comp.dom.textContent).toContain('还没有消息，医生回复后会显示在这里');
    fake.sockets[0].receive({ type: 'ready' });
    fake.reply('POST', C + '3/messages/send/', (req) => [201, msg(5, 'patient', { text: req.data.text, created_at: new Date().toISOString() })]);
    comp.instance.onInput({ detail: { value: ' 还在疼 ' } });
    expect(await comp.instance.onSend()).toBe(true);
    expect(fake.calls.request.find((r) => r.method === 'POST').data).toEqual({ text: '还在疼' });
    fake.sockets[0].receive({ type: 'message', message: msg(5, 'patient', { text: '还在疼' }) });
    await h.flush();
    expect(comp.querySelectorAll('.message')).toHaveLength(1);
    expect(comp.querySelector('.message.mine')).toBeTruthy();
    expect(comp.data.text).toBe('');

    fake.reply('POST', C + '3/messages/send/', h.error('consult_message_too_long'));
    comp.instance.onInput({ detail: { value: '很长' } });
    expect(await comp.instance.onSend()).toBe(false);
    expect(fake.calls.showToast.pop().title).toBe('消息太长，请分段发送');
    comp.instance.onUnload();
  });

  test('send images with progress; a failed one can be sent again', async () => {
    messages = [];
    const comp = await open();
    let n = 10;
    const progress = [];
    fake.reply('POST', C + '3/messages/send-image/', () => {
      progress.push(comp.data.uploads.map((u) => u.progress));
      n += 1;
      return [201, msg(n, 'patient', { kind: 'image', text: '', image: { url: '/api/v1/consult/images/i' + n + '/', width: 1, height: 1 } })];
    });
    fake.media.files = ['tmp/x.jpg', 'tmp/y.jpg'];
    fake.media.failUploads['tmp/y.jpg'] = true;
    expect(await comp.instance.onChooseImage()).toBe(1);
    expect(progress[0]).toEqual([50, 0]);
    expect(comp.data.messages).toHaveLength(1);
    expect(comp.querySelectorAll('.upload')).toHaveLength(1);
    expect(comp.data.uploads).toHaveLength(1);
    expect(h.text(comp, '.upload-failed .error-text')).toBe('网络连接失败，请检查网络后重试');

    delete fake.media.failUploads['tmp/y.jpg'];
    comp.querySelector('.retry-image').dispatchEvent('tap');
    await h.flush();
    await h.flush();
    expect(comp.data.uploads).toHaveLength(0);
    expect(comp.data.messages.map((m) => m.src)).toEqual(['http://127.0.0.1:8000/api/v1/consult/images/i11/', 'http://127.0.0.1:8000/api/v1/consult/images/i12/']);
    comp.instance.onUnload();
  });

  test('long-press: recall my own recent message; report the other side; an old one of mine cannot be recalled', async () => {
    const now = new Date().toISOString();
    messages = [msg(1, 'patient', { created_at: '2026-11-28T10:00:00+08:00' }), msg(2, 'doctor', { created_at: now }), msg(3, 'patient', { created_at: now })];
    const comp = await open();
    fake.reply('POST', C + 'messages/3/recall/', [200, msg(3, 'patient', { recalled: true, text: null })]);
    fake.reply('POST', C + 'messages/2/report/', (req) => [201, { id: 1, reason: req.data.reason }]);

    fake.wx.actionSheetAnswer = 0;
    await comp.instance.onLongPress({ currentTarget: { dataset: { index: 2 } } });
    expect(fake.calls.showActionSheet[0].itemList).toEqual(['撤回']);
    expect(comp.dom.textContent).toContain('你撤回了一条消息');

    fake.wx.actionSheetAnswer = [0, 2]; // 举报, then the third reason: 泄露隐私
    fake.wx.modalContent = ' 发了我的电话 ';
    await comp.instance.onLongPress({ currentTarget: { dataset: { index: 1 } } });
    expect(fake.calls.showActionSheet[1].itemList).toEqual(['举报']);
    expect(fake.calls.showActionSheet[2].itemList).toEqual(['辱骂、骚扰', '广告、垃圾信息', '泄露隐私', '其他']);
    expect(fake.calls.request.find((r) => r.url.endsWith('/messages/2/report/')).data).toEqual({ reason: 'privacy', comment: '发了我的电话' });
    expect(fake.calls.showToast.pop().title).toBe('已举报，我们会尽快处理');

    await comp.instance.onLongPress({ currentTarget: { dataset: { index: 0 } } });
    expect(fake.calls.showToast.pop().title).toBe('超过 2 分钟的消息不能撤回');
    expect(fake.calls.showActionSheet).toHaveLength(3);
    comp.instance.onUnload();
  });

  test('close, then rate once with stars and a comment', async () => {
    messages = [];
    const comp = await open();
    fake.reply('POST', C + '3/close/', [200, Object.assign({}, CONSULT, { status: 'closed' })]);
    await comp.instance.onClose();
    expect(fake.calls.showModal[0].content).toContain('确定结束这次问诊吗');
    expect(comp.querySelector('.composer')).toBeFalsy();
    expect(fake.sockets[0].closed).toBe(true);

    expect(await comp.instance.onRate()).toBe(false);
    expect(fake.calls.showToast.pop().title).toBe('请先选择星级');
    comp.querySelectorAll('.star')[3].dispatchEvent('tap');
    await h.flush();
    expect(h.text(comp, '.star-row')).toBe('★★★★☆');
    comp.instance.onComment({ detail: { value: '很耐心' } });
    fake.reply('POST', C + '3/rate/', (req) => [200, Object.assign({}, CONSULT, { status: 'rated', stars: req.data.stars, rating_comment: req.data.comment })]);
    expect(await comp.instance.onRate()).toBe(true);
    expect(fake.calls.request.find((r) => r.url.endsWith('/rate/')).data).toEqual({ stars: 4, comment: '很耐心' });
    expect(comp.querySelector('.rate')).toBeFalsy();
    expect(h.text(comp, '.rated .stars')).toBe('★★★★☆');
    expect(comp.dom.textContent).toContain('很耐心');
  });

  test('awaiting payment: no composer, a pay button; a missing consult is shown in Chinese', async () => {
    messages = [];
    const comp = await open(Object.assign({}, CONSULT, { status: 'awaiting_payment' }));
    expect(comp.querySelector('.composer')).toBeFalsy();
    comp.querySelector('.pay').dispatchEvent('tap');
    await h.flush();
    expect(fake.calls.redirectTo[0].url).toBe('/pages/pay/pay?consult=3');
    comp.instance.onUnload();

    fake.reply('GET', C + '3/', h.error('consult_not_found', 404));
    await comp.instance.reload();
    expect(comp.dom.textContent).toContain('问诊不存在');
  });

  test('a doctor: quick replies insert into the input, the first reply starts the consult, advice is saved', async () => {
    messages = [msg(1, 'patient')];
    fake.reply('GET', C + 'quick-replies/', [200, [{ id: 1, text: '请补充检查结果。' }, { id: 2, text: '建议线下就诊。' }]]);
    const comp = await open(Object.assign({}, CONSULT, { status: 'waiting' }), 'doctor');
    expect(h.text(comp, '.head .title')).toBe('张三');
    expect(comp.querySelector('.message.theirs')).toBeTruthy();
    expect(comp.querySelector('.advice')).toBeFalsy(); // not before the consult starts

    comp.instance.onToggleReplies();
    expect(comp.querySelectorAll('.reply')).toHaveLength(2);
    comp.instance.onInput({ detail: { value: '您好，' } });
    comp.querySelectorAll('.reply')[1].dispatchEvent('tap');
    await h.flush();
    expect(comp.data.text).toBe('您好，建议线下就诊。');
    expect(comp.querySelector('.replies')).toBeFalsy();

    fake.reply('POST', C + '3/messages/send/', (req) => [201, msg(2, 'doctor', { text: req.data.text })]);
    fake.reply('GET', C + '3/', [200, Object.assign({}, CONSULT, { status: 'in_progress' })]);
    await comp.instance.onSend();
    await h.flush();
    expect(h.text(comp, '.head .status')).toBe('问诊中');
    expect(comp.querySelector('.message.mine')).toBeTruthy();

    fake.reply('POST', C + '3/advice/', (req) => [200, Object.assign({}, CONSULT, { advice: req.data.advice })]);
    fake.reply('GET', C + '3/', [200, Object.assign({}, CONSULT, { advice: '低盐饮食，一周后复查心电图' })]);
    expect(await comp.instance.onAdvice()).toBe(false);
    comp.instance.onAdviceInput({ detail: { value: '低盐饮食，一周后复查心电图' } });
    expect(await comp.instance.onAdvice()).toBe(true);
    expect(fake.calls.request.find((r) => r.url.endsWith('/advice/')).data).toEqual({ advice: '低盐饮食，一周后复查心电图' });
    expect(h.text(comp, '.advice-shown')).toBe('诊断建议：低盐饮食，一周后复查心电图');

    comp.querySelector('.close').dispatchEvent('tap');
    await h.flush();
    expect(fake.calls.showModal[0].content).toBe('结束后双方都不能再发消息，确定结束这次问诊吗？');
    comp.instance.onUnload();
  });
});

describe('doctor settings', () => {
  test('offer: shown in yuan, saved in fen; a bad value is refused before sending', async () => {
    fake.reply('GET', C + 'offer/', [200, { enabled: false, fee: 0, daily_cap: 20, reply_hours: 24 }]);
    fake.reply('POST', C + 'offer/', (req) => [200, req.data]);
    const comp = h.renderPage('pages/consult/offer');
    await comp.instance.onLoad({});
    expect(comp.data.form).toEqual({ enabled: false, feeYuan: '0.00', daily_cap: '20', reply_hours: '24' });
    comp.instance.onEnabled({ detail: { value: true } });
    comp.instance.onInput({ currentTarget: { dataset: { name: 'feeYuan' } }, detail: { value: '29.9' } });
    comp.instance.onInput({ currentTarget: { dataset: { name: 'reply_hours' } }, detail: { value: '200' } });
    expect(await comp.instance.onSave()).toBe(false);
    expect(h.text(comp, '.error-text')).toBe('回复时限为 1 到 168 小时的整数');
    comp.instance.onInput({ currentTarget: { dataset: { name: 'reply_hours' } }, detail: { value: '12' } });
    expect(await comp.instance.onSave()).toBe(true);
    expect(fake.calls.request[1].data).toEqual({ enabled: true, fee: 2990, daily_cap: 20, reply_hours: 12 });
    expect(comp.data.form.feeYuan).toBe('29.90');
  });

  test('offer: a patient account is refused in Chinese', async () => {
    fake.reply('GET', C + 'offer/', h.error('permission_denied', 403));
    const comp = h.renderPage('pages/consult/offer');
    await comp.instance.onLoad({});
    expect(comp.dom.textContent).toContain('重试');
    expect(comp.data.error).not.toBe('');
  });

  test('quick replies: empty, add, edit, delete; the limit in Chinese', async () => {
    fake.reply('GET', C + 'quick-replies/', [200, []]);
    fake.reply('POST', C + 'quick-replies/create/', (req) => [201, { id: 8, text: req.data.text }]);
    fake.reply('POST', C + 'quick-replies/8/update/', (req) => [200, { id: 8, text: req.data.text }]);
    fake.reply('POST', C + 'quick-replies/8/delete/', [204, '']);
    const comp = h.renderPage('pages/consult/replies');
    await comp.instance.onLoad({});
    expect(comp.dom.textContent).toContain('还没有快捷回复');
    expect(await comp.instance.onSave()).toBe(false);
    comp.instance.onInput({ detail: { value: '请上传检查单' } });
    await comp.instance.onSave();
    expect(h.text(comp, '.reply-body')).toBe('请上传检查单');
    comp.querySelector('.reply-body').dispatchEvent('tap');
    await h.flush();
    expect(comp.data.editingId).toBe(8);
    comp.instance.onInput({ detail: { value: '请上传近一周的检查单' } });
    await comp.instance.onSave();
    expect(h.text(comp, '.reply-body')).toBe('请上传近一周的检查单');
    expect(comp.querySelectorAll('.reply')).toHaveLength(1);

    fake.reply('POST', C + 'quick-replies/create/', h.error('quick_reply_limit_reached', 409));
    comp.instance.onInput({ detail: { value: '再来一条' } });
    await comp.instance.onSave();
    expect(comp.data.saveError).not.toBe('');
    expect(comp.data.saveError).not.toBe('操作失败，请稍后再试');

    await comp.instance.onDelete({ currentTarget: { dataset: { id: 8 } } });
    expect(comp.dom.textContent).toContain('还没有快捷回复');
  });

  test('a doctor logs in with the staff account and lands on the workspace; mine shows the doctor menu', async () => {
    fake.wx.removeStorageSync('auth_tokens');
    fake.reply('POST', '/api/v1/accounts/staff/login/', (req) => (req.data.password === 'right'
      ? [200, { access: 'D', refresh: 'DR', role: 'doctor', hospital_id: 1, doctor_id: 5 }] : h.error('invalid_credentials')));
    const comp = h.renderPage('pages/login/login');
    comp.instance.onMode({ currentTarget: { dataset: { mode: 'staff' } } });
    comp.setData({ username: 'dr.li', staffPassword: 'wrong' });
    await comp.instance.onStaffLogin();
    expect(h.text(comp, '.error-text')).not.toBe('');
    comp.setData({ staffPassword: 'right', otp: '123456' });
    await comp.instance.onStaffLogin();
    expect(fake.calls.request[1].data).toEqual({ username: 'dr.li', password: 'right', otp_token: '123456' });
    expect(fake.storage.auth_tokens).toEqual({ access: 'D', refresh: 'DR' });
    expect(fake.calls.reLaunch[0].url).toBe('/pages/consults/consults');
  });

  test('mine shows a doctor the consult workspace menu', async () => {
    me('doctor');
    fake.reply('GET', '/api/v1/appointments/notifications/unread-count/', [200, { unread: 0 }]);
    fake.reply('GET', '/api/v1/appointments/notifications/subscribe-templates/', [200, { templates: [] }]);
    const mine = h.renderPage('pages/mine/mine');
    await mine.instance.onLoad({});
    expect(h.text(mine, '.doctor-menu')).toBe('问诊工作台问诊设置快捷回复');
    expect(mine.dom.textContent).not.toContain('我的问诊');
  });
});
