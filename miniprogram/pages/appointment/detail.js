const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const format = require('../../utils/format.js');
const errors = require('../../utils/errors.js');
const subscribe = require('../../utils/subscribe.js');
const reschedule = require('../../utils/reschedule.js');

Component({
  data: {
    a: {}, cancellable: false, reschedulable: false, needsConfirm: false,
    checkIn: {}, codeLoading: false, codeError: '', actionError: '',
    loading: true, error: '', needLogin: false
  },
  methods: {
    onLoad: function (options) {
      this.appointmentId = Number(options.id);
      this.askConfirm = options.action === 'confirm';
      this.loaded = true;
      return this.reload();
    },
    onShow: function () {
      if (this.loaded && !this.data.loading) {
        this.reload(); // 从改约、支付回来
      }
    },
    reload: function () {
      const self = this;
      return page.load(self, function () {
        return api.call('appointmentDetail', { params: { appointment_id: self.appointmentId } }).then(function (a) {
          return self.view(a);
        });
      }).then(function (ok) {
        if (ok && self.data.a.status === 'booked') {
          subscribe.prefetch().catch(function () {
            return null; // 点击时再取
          });
          return self.loadCheckInCode();
        }
        return ok;
      });
    },
    view: function (a) {
      return {
        a: Object.assign({}, a, { visitText: format.dateTime(a.visit_starts_at), feeText: format.yuan(a.fee) }),
        cancellable: a.status === 'pending_payment' || a.status === 'booked',
        reschedulable: reschedule.canReschedule(a),
        needsConfirm: a.status === 'booked' && !!a.confirm_requested_at && !a.confirmed_at
      };
    },
    loadCheckInCode: function () {
      const self = this;
      self.setData({ codeLoading: true, codeError: '' });
      return api.call('appointmentCheckInCode', { params: { appointment_id: self.appointmentId } }).then(function (code) {
        self.setData({ codeLoading: false, checkIn: Object.assign({}, code, { expiresText: format.dateTime(code.expires_at) }) });
      }, function (err) {
        self.setData({ codeLoading: false, codeError: errors.errorText(err) });
      });
    },
    act: function (promise) {
      const self = this;
      self.setData({ actionError: '' });
      return promise.then(function (a) {
        if (a) {
          self.setData(self.view(a));
        }
        return a;
      }, function (err) {
        self.setData({ actionError: errors.errorText(err) });
        return null;
      });
    },
    onReminders: function (e) {
      return this.act(api.call('appointmentReminders', {
        params: { appointment_id: this.appointmentId }, body: { enabled: !!e.detail.value }
      }));
    },
    onConfirm: function () {
      return this.act(api.call('appointmentConfirm', { params: { appointment_id: this.appointmentId } }));
    },
    onCancel: function () {
      const self = this;
      return page.confirm('确定取消这个预约吗？已支付的挂号费将按规则退回。').then(function (ok) {
        if (!ok) {
          return null;
        }
        return self.act(api.call('appointmentCancel', { params: { appointment_id: self.appointmentId }, body: { reason: '患者取消' } }));
      });
    },
    onReschedule: function () {
      wx.navigateTo({ url: reschedule.startUrl(this.data.a) });
    },
    onPay: function () {
      wx.navigateTo({ url: '/pages/pay/pay?appointment=' + this.appointmentId });
    },
    onSubscribe: function () {
      return subscribe.requestConsent().then(function (result) {
        wx.showToast({ title: result.accepted.length ? '已开启提醒' : '未开启提醒', icon: 'none' });
      }, page.toastError);
    }
  }
});
