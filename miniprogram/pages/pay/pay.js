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

Component({
  data: { appointment: {}, topUp: false, channel: '', paying: false, payError: '', loading: true, error: '', needLogin: false, empty: false },
  methods: {
    onLoad: function (options) {
      this.appointmentId = Number(options.appointment);
      this.idempotencyKey = api.newIdempotencyKey();
      this.setData({ topUp: options.topup === '1' }); // 改约到更贵的号：补缴差价
      return this.reload();
    },
    reload: function () {
      const id = this.appointmentId;
      return page.load(this, function () {
        return Promise.all([
          api.call('appointmentDetail', { params: { appointment_id: id } }),
          api.call('channelList')
        ]).then(function (answers) {
          const a = answers[0];
          const channel = chooseChannel(answers[1].channels);
          return {
            appointment: Object.assign({}, a, {
              feeText: format.yuan(a.fee),
              visitText: format.dateTime(a.visit_starts_at),
              holdText: format.dateTime(a.hold_expires_at)
            }),
            channel: channel,
            empty: !channel
          };
        });
      });
    },
    onPay: function () {
      const self = this;
      const channel = self.data.channel;
      self.setData({ paying: true, payError: '' });
      return api.call('orderCreate', {
        body: { appointment_id: self.appointmentId, channel: channel },
        headers: { 'Idempotency-Key': self.idempotencyKey }
      }).then(function (order) {
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
          wx.redirectTo({ url: '/pages/result/result?appointment=' + self.appointmentId });
        }
        return paid;
      }, function (err) {
        self.setData({ paying: false, payError: errors.errorText(err) });
        return false;
      });
    }
  }
});
