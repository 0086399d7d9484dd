const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const format = require('../../utils/format.js');
const errors = require('../../utils/errors.js');

// 服务器列出的渠道里，小程序能用哪一个：开发网关（开发环境）优先，其次微信支付；支付宝在小程序内不可用
function chooseChannel(channels) {
  if (channels.indexOf('dev') >= 0) {
    return 'dev';
  }
  if (channels.indexOf('wechat') >= 0) {
    return 'wechat';
  }
  return '';
}

function requestPayment(params) {
  return new Promise(function (resolve, reject) {
    wx.requestPayment(Object.assign({}, params, {
      success: function () {
        resolve(true);
      },
      fail: function (res) {
        if (res && /cancel/.test(res.errMsg || '')) {
          resolve(false);
        } else {
          reject(new api.ApiError(0, 'channel_refused'));
        }
      }
    }));
  });
}

// 问诊的订单（consult=<id>）：问诊详情里的医生、就诊人和费用，支付后进入对话
function consultView(c) {
  return {
    doctor: { name: c.doctor_name },
    department: '在线问诊',
    profile: { name: c.profile_name },
    fee: c.fee,
    feeText: format.yuan(c.fee),
    status: c.status,
    visitText: '图文问诊',
    hold_expires_at: null
  };
}

Component({
  data: { appointment: {}, topUp: false, consult: false, channel: '', paying: false, payError: '', loading: true, error: '', needLogin: false, empty: false },
  methods: {
    onLoad: function (options) {
      this.appointmentId = Number(options.appointment) || 0;
      this.consultId = Number(options.consult) || 0;
      this.idempotencyKey = api.newIdempotencyKey();
      this.setData({ topUp: options.topup === '1', consult: !!this.consultId }); // 改约到更贵的号：补缴差价
      return this.reload();
    },
    reload: function () {
      const self = this;
      const id = self.appointmentId;
      return page.load(self, function () {
        return Promise.all([
          self.consultId
            ? api.call('consultDetail', { params: { consult_id: self.consultId } }).then(consultView)
            : api.call('appointmentDetail', { params: { appointment_id: id } }),
          api.call('channelList')
        ]).then(function (answers) {
          const a = answers[0];
          const channel = chooseChannel(answers[1].channels);
          return {
            appointment: Object.assign({}, a, {
              feeText: format.yuan(a.fee),
              visitText: a.visitText || format.dateTime(a.visit_starts_at),
              holdText: format.dateTime(a.hold_expires_at)
            }),
            channel: channel,
            empty: !channel
          };
        });
      });
    },
    // 下单：预约走 billing/orders/，问诊走 consult/<id>/pay/（都答订单和 pay_params）
    createOrder: function (channel) {
      if (this.consultId) {
        return api.call('consultPay', { params: { consult_id: this.consultId }, body: { channel: channel } });
      }
      return api.call('orderCreate', {
        body: { appointment_id: this.appointmentId, channel: channel },
        headers: { 'Idempotency-Key': this.idempotencyKey }
      });
    },
    done: function () {
      if (this.consultId) {
        wx.redirectTo({ url: '/pages/consult/chat?id=' + this.consultId });
      } else {
        wx.redirectTo({ url: '/pages/result/result?appointment=' + this.appointmentId });
      }
    },
    onPay: function () {
      const self = this;
      const channel = self.data.channel;
      self.setData({ paying: true, payError: '' });
      return self.createOrder(channel).then(function (order) {
        if (order.status === 'paid') {
          return true;
        }
        if (channel === 'dev') {
          return api.call('orderDevPay', { params: { order_id: order.id } }).then(function () {
            return true;
          });
        }
        return requestPayment(order.pay_params);
      }).then(function (paid) {
        self.setData({ paying: false, payError: paid ? '' : '支付未完成' });
        if (paid) {
          self.done();
        }
        return paid;
      }, function (err) {
        self.setData({ paying: false, payError: errors.errorText(err) });
        return false;
      });
    }
  }
});
