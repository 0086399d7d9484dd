// 改约（reschedule）：把预约换到同一医生的另一个时段。
// 流程：预约详情 / 我的预约点“改约” → 医生主页（改约模式）选出诊 → 选时段 → pages/reschedule 确认
// （新旧时间与费用变化）→ POST appointments/<id>/reschedule/ → 需补缴差价或仍待支付时去支付页，否则提示成功。
// 能否改约（截止时间、同医生 / 同科室、余号）由服务器判断，这里只按状态显示按钮。
const format = require('./format.js');

const MOVABLE = ['pending_payment', 'booked'];

function canReschedule(a) {
  return !!a && MOVABLE.indexOf(a.status) >= 0;
}

// 从预约进入改约：同一医生的出诊列表（改约模式）
function startUrl(a) {
  return '/pages/doctor/doctor?id=' + a.doctor.id + '&reschedule=' + a.id;
}

// 费用变化（分）：已支付的预约换到更便宜的号退差价、更贵的号补缴差价；未支付的只是待付金额变了。
// 会员折扣下实际金额按原支付折扣计算，以退款 / 支付订单为准。
function feeChange(a, newFee) {
  const oldFee = a.fee;
  if (a.status === 'pending_payment') {
    if (newFee === oldFee) {
      return { kind: 'same', amount: 0, text: '费用不变，改约后请在原支付时限内完成支付' };
    }
    if (newFee === 0) {
      return { kind: 'free', amount: 0, text: '新时段免挂号费，改约后无需支付' };
    }
    return { kind: 'due', amount: newFee, text: '待支付金额由 ' + format.yuan(oldFee) + ' 改为 ' + format.yuan(newFee) + '，改约后请在原支付时限内完成支付' };
  }
  if (newFee < oldFee) {
    return { kind: 'refund', amount: oldFee - newFee, text: '将退还差价 ' + format.yuan(oldFee - newFee) + '（按原支付折扣计算，原路退回）' };
  }
  if (newFee > oldFee) {
    return { kind: 'topup', amount: newFee - oldFee, text: '需补缴差价 ' + format.yuan(newFee - oldFee) + '（按原支付折扣计算），请在改约后限时内支付，超时未付预约将取消并退回已付费用' };
  }
  return { kind: 'same', amount: 0, text: '费用不变' };
}

// 改约的应答（预约详情）之后去哪里：仍待支付（补缴差价或原本未付）去支付页，否则回到预约详情
function nextUrl(before, after) {
  if (after.status === 'pending_payment') {
    return '/pages/pay/pay?appointment=' + after.id + (before.status === 'booked' ? '&topup=1' : '');
  }
  return '/pages/appointment/detail?id=' + after.id;
}

module.exports = { canReschedule: canReschedule, startUrl: startUrl, feeChange: feeChange, nextUrl: nextUrl };
