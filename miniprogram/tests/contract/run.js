// 契约测试：用小程序真正的 API module 走一遍挂号流程（tests/clients/test_contract.py 启动服务器并运行本脚本）。
//   MP_API_BASE_URL  服务器地址
//   MP_PHONE         患者手机号
//   MP_SMS_CODE_FILE 测试把短信验证码写进这个文件（脚本发送验证码后等待它出现）
//   MP_FLOW          cancel（默认）：预约（抢号排队时轮询挂号单）、支付、取消、退款；
//                    reschedule：预约较贵的出诊并支付，再改约到同一医生较便宜出诊的号，看到退还差价
//                    consult：向医生发起（免费的）在线问诊、发消息；医生登录、用快捷回复回复、撤回一条、
//                    结束问诊；患者看到回复并评价（MP_DOCTOR_USERNAME / MP_DOCTOR_PASSWORD 是医生的账号）
// 每一步打印一行；任何一步不符合预期就以非零状态退出。
const fs = require('fs');
const wxNode = require('./wx-node.js');

global.wx = wxNode.createWx();
const config = require('../../config.js');
config.baseUrl = process.env.MP_API_BASE_URL;
const api = require('../../api/index.js');
const booking = require('../../utils/booking.js');

function step(text) {
  process.stdout.write(text + '\n');
}

function check(condition, message) {
  if (!condition) {
    throw new Error('契约不符：' + message);
  }
}

function waitForFile(file, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise(function (resolve, reject) {
    (function poll() {
      if (fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim()) {
        resolve(fs.readFileSync(file, 'utf8').trim());
      } else if (Date.now() > deadline) {
        reject(new Error('等不到短信验证码'));
      } else {
        setTimeout(poll, 50);
      }
    })();
  });
}

async function login() {
  const phone = process.env.MP_PHONE;

  // 登录：短信验证码
  await api.call('smsSend', { body: { phone: phone } });
  step('sms sent');
  const code = await waitForFile(process.env.MP_SMS_CODE_FILE, 20000);
  const wrong = await api.login('loginSms', { phone: phone, code: code === '000000' ? '111111' : '000000' }).catch((e) => e);
  check(wrong.isApiError && wrong.code === 'sms_code_invalid' && wrong.message === '验证码错误', '错误验证码应答 sms_code_invalid：' + wrong.code);
  const answer = await api.login('loginSms', { phone: phone, code: code });
  check(api.isLoggedIn() && answer.user, '登录后应有凭证');
  step('logged in');
  return answer;
}

// 找医院、医生和他可约的出诊（按日期）
async function openSessions() {
  const hospitals = await api.call('hospitalList');
  check(hospitals.results.length === 1, '应有一家医院');
  const hospital = await api.call('hospitalDetail', { params: { hospital_id: hospitals.results[0].id } });
  const found = await api.call('doctorSearch', { query: { hospital: hospital.id } });
  check(found.results.length === 1, '医院应有一位医生');
  const doctor = found.results[0];
  const sessions = await api.call('doctorSessions', { params: { doctor_id: doctor.id } });
  return sessions.sessions.filter(function (s) { return s.bookable_now && s.remaining > 0; });
}

async function freeSlot(sessionId) {
  const session = await api.call('sessionDetail', { params: { session_id: sessionId } });
  const slot = session.slots.filter(function (s) { return s.remaining > 0; })[0];
  check(slot, '应有余号');
  return slot;
}

// 预约走 utils/booking.js：抢号排队时（202 挂号单）轮询到约上为止
async function book(slot) {
  const profiles = await api.call('profileList', { query: { page: 1 } });
  check(profiles.results.length >= 1, '应有就诊人');
  const result = await booking.book({
    slotId: slot.id,
    profileId: profiles.results[0].id,
    idempotencyKey: api.newIdempotencyKey(),
    onQueued: function (ticket) {
      check(ticket.status === 'queued' && ticket.poll.indexOf('/tickets/' + ticket.ticket + '/') >= 0, '挂号单应在排队：' + JSON.stringify(ticket));
      step('queued ticket ' + ticket.ticket);
    }
  }).promise;
  check(result.status === 'booked', '应已约上：' + JSON.stringify(result));
  const appointment = result.appointment;
  check(appointment.status === 'pending_payment', '新预约应待支付：' + appointment.status);
  step('booked ' + appointment.id);
  return appointment;
}

// 支付：服务器列出开发网关时用它
async function pay(appointment) {
  const channels = await api.call('channelList');
  check(channels.channels.indexOf('dev') >= 0, '测试服务器应列出开发网关');
  const order = await api.call('orderCreate', {
    body: { appointment_id: appointment.id, channel: 'dev' },
    headers: { 'Idempotency-Key': api.newIdempotencyKey() }
  });
  check(order.pay_params && order.pay_params.dev_pay_url, '开发网关应给出 dev_pay_url');
  const paid = await api.call('orderDevPay', { params: { order_id: order.id } });
  check(paid.status === 'paid', '订单应已支付：' + paid.status);
  const booked = await api.call('appointmentDetail', { params: { appointment_id: appointment.id } });
  check(booked.status === 'booked', '支付后预约应为已预约：' + booked.status);
  const list = await api.call('appointmentList', { query: { status: 'booked', page: 1, page_size: 10 } });
  check(list.results.some(function (a) { return a.id === appointment.id; }), '“我的预约”里应有它');
  step('paid order ' + order.id);
  return paid;
}

async function cancelFlow() {
  const open = await openSessions();
  check(open.length === 1, '应有一个可约的出诊');
  const slot = await freeSlot(open[0].id);
  step('found slot ' + slot.id);
  const appointment = await book(slot);
  const paid = await pay(appointment);

  // 取消并看到退款
  const cancelled = await api.call('appointmentCancel', { params: { appointment_id: appointment.id }, body: { reason: '契约测试取消' } });
  check(cancelled.status === 'cancelled', '应已取消：' + cancelled.status);
  const refunded = await api.call('orderDetail', { params: { order_id: paid.id } });
  check(refunded.refunds.length === 1, '应有一笔退款');
  check(refunded.refunds[0].amount === paid.amount, '应全额退款');
  step('cancelled; refund ' + refunded.refunds[0].status + ' ' + refunded.refunds[0].amount);

  // 服务器错误按错误码显示中文
  const again = await api.call('appointmentCancel', { params: { appointment_id: appointment.id }, body: { reason: '再取消' } }).catch((e) => e);
  check(again.isApiError && again.status === 409 && again.message.length > 0 && again.message !== '操作失败，请稍后再试', '重复取消应有中文提示：' + again.code);
  step('second cancel refused: ' + again.code);
}

async function rescheduleFlow() {
  const open = await openSessions();
  check(open.length === 2, '医生应有两个可约的出诊');
  const dear = open[0].fee >= open[1].fee ? open[0] : open[1];
  const cheap = dear === open[0] ? open[1] : open[0];
  check(dear.fee > cheap.fee, '两个出诊的挂号费应不同');
  const from = await freeSlot(dear.id);
  const appointment = await book(from);
  const paid = await pay(appointment);

  // 改约到同一医生另一个出诊的号：更便宜，退还差价
  const to = await freeSlot(cheap.id);
  const moved = await api.call('appointmentReschedule', { params: { appointment_id: appointment.id }, body: { slot_id: to.id } });
  check(moved.id === appointment.id, '改约后仍是同一个预约');
  check(moved.status === 'booked', '改约到更便宜的号后应仍为已预约：' + moved.status);
  check(moved.fee === cheap.fee, '挂号费应为新出诊的：' + moved.fee);
  check(new Date(moved.visit_starts_at).getTime() === new Date(to.starts_at).getTime(), '就诊时间应为新时段');
  const order = await api.call('orderDetail', { params: { order_id: paid.id } });
  check(order.refunds.length === 1, '应退还一笔差价');
  check(order.refunds[0].amount > 0 && order.refunds[0].amount < paid.amount, '退款应为差价：' + order.refunds[0].amount);
  step('rescheduled to slot ' + to.id + '; refund ' + order.refunds[0].status + ' ' + order.refunds[0].amount);

  // 再改到同一个号：按错误码显示中文
  const same = await api.call('appointmentReschedule', { params: { appointment_id: appointment.id }, body: { slot_id: to.id } }).catch((e) => e);
  check(same.isApiError && same.status === 409 && same.code === 'reschedule_same_slot' && same.message === '预约已在该时段，请选择其他时段', '改到原时段应被拒绝：' + same.code);
  const detail = await api.call('appointmentDetail', { params: { appointment_id: appointment.id } });
  check(detail.status === 'booked' && detail.fee === cheap.fee, '拒绝后预约不变');
  step('same slot refused: ' + same.code);
}

// 在线问诊：患者发起、发消息；医生（另一个账号，同一个 API module）回复、撤回、结束；患者评价
async function consultFlow() {
  const hospitals = await api.call('hospitalList');
  const found = await api.call('doctorSearch', { query: { hospital: hospitals.results[0].id } });
  const doctor = found.results[0];
  const offer = await api.call('consultDoctorOffer', { params: { doctor_id: doctor.id } });
  check(offer.fee === 0 && offer.reply_hours > 0, '医生应开通免费问诊：' + JSON.stringify(offer));
  const profiles = await api.call('profileList', { query: { page: 1 } });
  const consult = await api.call('consultCreate', {
    body: { doctor: doctor.id, profile: profiles.results[0].id, problem: '胸闷两周，活动后加重' }
  });
  check(consult.status === 'waiting' && consult.problem === '胸闷两周，活动后加重', '免费问诊应直接等待医生：' + consult.status);
  const asked = await api.call('consultSend', { params: { consult_id: consult.id }, body: { text: '需要做什么检查？' } });
  check(asked.sender === 'patient' && asked.kind === 'text', '患者的消息');
  const mine = await api.call('consultList', { query: { page: 1 } });
  check(mine.results.length === 1 && mine.results[0].id === consult.id, '“我的问诊”里应有它');
  step('consult ' + consult.id + ' asked');

  // 换成医生的账号
  const patientTokens = wx.getStorageSync(api.TOKEN_KEY);
  const staff = await api.login('staffLogin', { username: process.env.MP_DOCTOR_USERNAME, password: process.env.MP_DOCTOR_PASSWORD });
  check(staff.role === 'doctor', '应以医生身份登录：' + staff.role);
  const me = await api.call('me');
  check(me.role === 'doctor', 'me 应说明是医生');
  const addressed = await api.call('consultList', { query: { page: 1 } });
  check(addressed.results.length === 1 && addressed.results[0].status === 'waiting', '医生应看到待回复的问诊');
  const seen = await api.call('consultMessages', { params: { consult_id: consult.id }, query: { after: 0, limit: 100 } });
  check(seen.results.length === 1 && seen.results[0].text === '需要做什么检查？', '医生应看到患者的消息');
  const reply = await api.call('consultQuickReplyCreate', { body: { text: '建议先做心电图。' } });
  const replies = await api.call('consultQuickReplies');
  check(replies.some(function (r) { return r.id === reply.id; }), '快捷回复应在列表里');
  const wrong = await api.call('consultSend', { params: { consult_id: consult.id }, body: { text: '发错了' } });
  const recalled = await api.call('consultRecall', { params: { message_id: wrong.id } });
  check(recalled.recalled === true && recalled.text === null, '两分钟内应能撤回');
  await api.call('consultSend', { params: { consult_id: consult.id }, body: { text: reply.text } });
  const started = await api.call('consultDetail', { params: { consult_id: consult.id } });
  check(started.status === 'in_progress', '医生回复后应在问诊中：' + started.status);
  const closed = await api.call('consultClose', { params: { consult_id: consult.id } });
  check(closed.status === 'closed' && closed.closed_by === 'doctor', '应已结束：' + closed.status);
  const notMine = await api.call('consultRate', { params: { consult_id: consult.id }, body: { stars: 5 } }).catch((e) => e);
  check(notMine.isApiError && notMine.status === 403, '医生不能评价：' + notMine.code);
  step('doctor replied and closed');

  // 回到患者：看到回复（撤回的没有内容），评价一次
  wx.setStorageSync(api.TOKEN_KEY, patientTokens);
  const all = await api.call('consultMessages', { params: { consult_id: consult.id }, query: { after: asked.id, limit: 100 } });
  check(all.results.length === 2 && all.next_cursor === all.results[1].id, '应看到医生的两条消息：' + all.results.length);
  check(all.results[0].recalled && all.results[0].text === null, '撤回的消息没有内容');
  check(all.results[1].sender === 'doctor' && all.results[1].text === '建议先做心电图。', '医生的回复');
  const none = await api.call('consultMessages', { params: { consult_id: consult.id }, query: { after: all.next_cursor, limit: 100 } });
  check(none.results.length === 0 && none.next_cursor === all.next_cursor, '之后没有更多消息');
  const late = await api.call('consultSend', { params: { consult_id: consult.id }, body: { text: '还有问题' } }).catch((e) => e);
  check(late.isApiError && late.code === 'consult_not_open' && late.message === '问诊已结束或尚未开始，无法操作', '结束后不能再发：' + late.code);
  const rated = await api.call('consultRate', { params: { consult_id: consult.id }, body: { stars: 5, comment: '回复很快' } });
  check(rated.status === 'rated' && rated.stars === 5, '应已评价：' + rated.status);
  const again = await api.call('consultRate', { params: { consult_id: consult.id }, body: { stars: 1 } }).catch((e) => e);
  check(again.isApiError && again.code === 'consult_already_rated' && again.message === '该问诊已评价过', '只能评价一次：' + again.code);
  step('rated ' + rated.stars);
}

async function main() {
  const answer = await login();

  // 凭证失效时用 refresh 换新的并重试
  const tokens = wx.getStorageSync(api.TOKEN_KEY);
  wx.setStorageSync(api.TOKEN_KEY, { access: tokens.access.slice(0, -4) + 'xxxx', refresh: tokens.refresh });
  const me = await api.call('me');
  check(me.id === answer.user.id, 'refresh 后应能读取当前用户');
  check(wx.getStorageSync(api.TOKEN_KEY).access !== tokens.access, '应已换新 access');
  step('token refreshed');

  if (process.env.MP_FLOW === 'reschedule') {
    await rescheduleFlow();
  } else if (process.env.MP_FLOW === 'consult') {
    await consultFlow();
  } else {
    await cancelFlow();
  }

  await api.logout();
  check(!api.isLoggedIn(), '应已退出');
  step('done');
}

main().then(function () {
  process.exit(0);
}, function (err) {
  process.stderr.write((err && err.stack) || String(err) + '\n');
  process.exit(1);
});
